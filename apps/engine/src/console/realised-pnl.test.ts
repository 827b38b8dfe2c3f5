import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type Fill, pnlByStrategy, realisedPnl } from "./realised-pnl.js";

function fill(side: "BUY" | "SELL", quantity: number, price: number, fees = 0): Fill {
  return {
    namespace: "paper",
    strategy_id: "momentum_1",
    instrument_token: 738561,
    side,
    quantity,
    price,
    fees,
  };
}

describe("realisedPnl: average cost", () => {
  it.each([
    {
      name: "buys average their cost; a sale realises against it and keeps it",
      fills: [fill("BUY", 10, 100), fill("BUY", 10, 110), fill("SELL", 5, 120)],
      net: 15,
      cost: 105,
      realised: 75,
    },
    {
      name: "selling everything realises all and leaves it flat",
      fills: [fill("BUY", 4, 100), fill("SELL", 4, 90)],
      net: 0,
      cost: null,
      realised: -40,
    },
    {
      name: "a short realises when bought back below its average",
      fills: [fill("SELL", 10, 200), fill("SELL", 10, 210), fill("BUY", 10, 190)],
      net: -10,
      cost: 205,
      realised: 150,
    },
    {
      name: "a sale larger than the long closes it and opens a short at the sale's price",
      fills: [fill("BUY", 3, 100), fill("SELL", 5, 110)],
      net: -2,
      cost: 110,
      realised: 30,
    },
    {
      name: "a buy larger than the short closes it and opens a long at the buy's price",
      fills: [fill("SELL", 2, 50), fill("BUY", 6, 40)],
      net: 4,
      cost: 40,
      realised: 20,
    },
  ])("$name", ({ fills, net, cost, realised }) => {
    const [position] = realisedPnl(fills);
    expect(position).toMatchObject({
      net_quantity: net,
      average_cost: cost,
      realised_pnl: realised,
      fills: fills.length,
    });
  });

  it("sums fees apart and takes them off the net", () => {
    const [position] = realisedPnl([fill("BUY", 10, 100, 1.5), fill("SELL", 10, 101, 1.25)]);
    expect(position).toMatchObject({ realised_pnl: 10, fees: 2.75, net_pnl: 7.25 });
  });

  it("keeps namespaces, strategies and instruments apart", () => {
    const positions = realisedPnl([
      fill("BUY", 1, 100),
      { ...fill("SELL", 1, 120), namespace: "zerodha" },
      { ...fill("SELL", 1, 130), strategy_id: "other" },
      { ...fill("SELL", 1, 140), instrument_token: 1 },
    ]);
    expect(positions).toHaveLength(4);
    expect(positions.every((position) => position.realised_pnl === 0)).toBe(true);
  });

  it("sums a strategy's instruments per namespace", () => {
    const totals = pnlByStrategy(
      realisedPnl([
        fill("BUY", 2, 100, 0.5),
        fill("SELL", 2, 103, 0.5),
        { ...fill("BUY", 1, 50), instrument_token: 1 },
        { ...fill("SELL", 1, 49.9, 0.1), instrument_token: 1 },
        { ...fill("BUY", 1, 10), namespace: "zerodha" },
        { ...fill("SELL", 1, 11), namespace: "zerodha" },
      ]),
    );
    expect(totals).toEqual([
      { namespace: "paper", strategy_id: "momentum_1", realised_pnl: 5.9, fees: 1.1, net_pnl: 4.8 },
      { namespace: "zerodha", strategy_id: "momentum_1", realised_pnl: 1, fees: 0, net_pnl: 1 },
    ]);
  });

  it("conserves value: realised + open units marked at any price = cash from fills + units held at that price", () => {
    const fillArb = fc.record({
      side: fc.constantFrom<"BUY" | "SELL">("BUY", "SELL"),
      quantity: fc.integer({ min: 1, max: 1_000 }),
      price: fc.integer({ min: 1, max: 100_000 }).map((paise) => paise / 100),
    });
    fc.assert(
      fc.property(
        fc.array(fillArb, { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 1, max: 100_000 }).map((paise) => paise / 100),
        (fills, mark) => {
          const [position] = realisedPnl(fills.map((f) => fill(f.side, f.quantity, f.price)));
          if (!position) throw new Error("no position");
          const cash = fills.reduce(
            (sum, f) => sum + (f.side === "SELL" ? 1 : -1) * f.quantity * f.price,
            0,
          );
          const held = fills.reduce((sum, f) => sum + (f.side === "SELL" ? -1 : 1) * f.quantity, 0);
          expect(position.net_quantity).toBe(held);
          const unrealised = held === 0 ? 0 : held * (mark - (position.average_cost ?? 0));
          // Rounding: realised to paise, the average cost to 1/10,000 of a rupee per unit held.
          const tolerance = 0.01 + Math.abs(held) * 0.0001;
          expect(Math.abs(position.realised_pnl + unrealised - (cash + held * mark))).toBeLessThan(
            tolerance,
          );
        },
      ),
    );
  });
});
