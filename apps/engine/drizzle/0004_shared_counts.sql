CREATE TABLE "engine_strategy_orders" (
	"namespace" text NOT NULL,
	"strategy_id" text NOT NULL,
	"sent_at" timestamp with time zone NOT NULL,
	"notional" double precision NOT NULL
);
--> statement-breakpoint
ALTER TABLE "engine_order_budget" ADD COLUMN "id" bigint PRIMARY KEY NOT NULL GENERATED ALWAYS AS IDENTITY (sequence name "engine_order_budget_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1);--> statement-breakpoint
ALTER TABLE "engine_order_budget" ADD COLUMN "ended_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "engine_order_budget" ADD COLUMN "in_flight_until" timestamp with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
ALTER TABLE "engine_order_budget" ADD COLUMN "kind" text DEFAULT 'order' NOT NULL;--> statement-breakpoint
CREATE INDEX "engine_strategy_orders_idx" ON "engine_strategy_orders" USING btree ("namespace","strategy_id","sent_at");--> statement-breakpoint
-- Rows from before this migration were answered long ago: they count as ended when sent.
UPDATE "engine_order_budget" SET "ended_at" = "sent_at", "in_flight_until" = "sent_at";
