CREATE TABLE "engine_order_budget" (
	"namespace" text NOT NULL,
	"sent_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE INDEX "engine_order_budget_idx" ON "engine_order_budget" USING btree ("namespace","sent_at");