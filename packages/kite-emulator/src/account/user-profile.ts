/** `GET /user/profile` data, as Kite returns it for an individual account. */
export function userProfile(userId: string, userName: string): Record<string, unknown> {
  return {
    user_id: userId,
    user_type: "individual",
    email: `${userId.toLowerCase()}@example.com`,
    user_name: userName,
    user_shortname: userName.split(" ")[0] ?? userName,
    broker: "ZERODHA",
    exchanges: ["NSE", "BSE", "NFO", "BFO", "CDS", "BCD", "MCX", "MF"],
    products: ["CNC", "NRML", "MIS", "BO", "CO", "MTF"],
    order_types: ["MARKET", "LIMIT", "SL", "SL-M"],
    avatar_url: null,
    meta: { demat_consent: "physical" },
  };
}
