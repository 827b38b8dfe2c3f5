CREATE TABLE IF NOT EXISTS "engine_execution_journal" (
	"signal_id" text NOT NULL,
	"namespace" text NOT NULL,
	"status" text NOT NULL,
	"shadow" boolean DEFAULT false NOT NULL,
	"attempts" integer DEFAULT 1 NOT NULL,
	"claimed_by" text NOT NULL,
	"lease_until" timestamp with time zone NOT NULL,
	"outcome" text,
	"error_code" text,
	"order_id" text,
	"events" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"completed_at" timestamp with time zone,
	CONSTRAINT "engine_execution_journal_signal_id_namespace_pk" PRIMARY KEY("signal_id","namespace")
);
--> statement-breakpoint
CREATE TABLE IF NOT EXISTS "engine_signal_journal" (
	"signal_id" text PRIMARY KEY NOT NULL,
	"strategy_id" text NOT NULL,
	"instrument_token" bigint NOT NULL,
	"signal_type" text NOT NULL,
	"disposition" text NOT NULL,
	"targets" jsonb NOT NULL,
	"detail" text,
	"envelope" jsonb NOT NULL,
	"source_topic" text NOT NULL,
	"source_partition" integer NOT NULL,
	"source_offset" text NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
-- strategy_configurations is shared with the rest of the platform: create it only where it is
-- missing, and never alter it.
CREATE TABLE IF NOT EXISTS "strategy_configurations" (
	"id" text PRIMARY KEY NOT NULL,
	"strategy_type" text,
	"instruments" jsonb,
	"parameters" jsonb,
	"is_active" boolean DEFAULT true,
	"zerodha_trading_enabled" boolean DEFAULT false,
	"created_at" timestamp with time zone DEFAULT now(),
	"updated_at" timestamp with time zone
);
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "engine_execution_journal_open_idx" ON "engine_execution_journal" USING btree ("namespace","status") WHERE "engine_execution_journal"."status" <> 'completed';--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "engine_signal_journal_strategy_idx" ON "engine_signal_journal" USING btree ("strategy_id","received_at");