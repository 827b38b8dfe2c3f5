-- The order state machine: one state per execution (journaled whole in "state"), ownership by
-- instance leases and a fencing epoch instead of per-row leases. Rows written by the engine before
-- it are carried over: their statuses mapped, their state built from what they stored.
CREATE TABLE IF NOT EXISTS "engine_instances" (
	"instance_id" text PRIMARY KEY NOT NULL,
	"host" text NOT NULL,
	"pid" integer NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"lease_until" timestamp with time zone NOT NULL
);
--> statement-breakpoint
DROP INDEX IF EXISTS "engine_execution_journal_open_idx";--> statement-breakpoint
UPDATE "engine_execution_journal" SET "events" = '[]'::jsonb WHERE "events" IS NULL;--> statement-breakpoint
ALTER TABLE "engine_execution_journal" ALTER COLUMN "attempts" SET DEFAULT 0;--> statement-breakpoint
ALTER TABLE "engine_execution_journal" ALTER COLUMN "events" SET DEFAULT '[]'::jsonb;--> statement-breakpoint
ALTER TABLE "engine_execution_journal" ALTER COLUMN "events" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "engine_execution_journal" ADD COLUMN "epoch" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "engine_execution_journal" ADD COLUMN "state" jsonb;--> statement-breakpoint
ALTER TABLE "engine_execution_journal" ADD COLUMN "published" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "engine_execution_journal" ADD COLUMN "updated_at" timestamp with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
-- in_flight: handed to the trader, answer unknown (a takeover resolves it with the broker);
-- placed: open at the broker; settled: ended, the final event stored and not yet published;
-- completed: ended and published.
UPDATE "engine_execution_journal" SET
	"published" = CASE
		WHEN "status" = 'settled' THEN greatest(jsonb_array_length("events") - 1, 0)
		ELSE jsonb_array_length("events") END,
	"status" = CASE
		WHEN "status" = 'in_flight' THEN 'submitted'
		WHEN "status" = 'placed' THEN 'accepted'
		WHEN "outcome" = 'filled' THEN 'filled'
		WHEN "outcome" = 'failed' THEN 'rejected'
		ELSE 'accepted' END;--> statement-breakpoint
UPDATE "engine_execution_journal" AS j SET "state" = jsonb_build_object(
	'status', j."status",
	'quantity', coalesce((SELECT (s."envelope" #>> '{data,validated_quantity}')::integer
		FROM "engine_signal_journal" AS s WHERE s."signal_id" = j."signal_id"), 0),
	'orderId', j."order_id",
	'filledQuantity', CASE WHEN j."status" = 'filled'
		THEN coalesce((j."events" #>> '{-1,event,data,quantity}')::integer, 0) ELSE 0 END,
	'averagePrice', CASE WHEN j."status" = 'filled'
		THEN (j."events" #>> '{-1,event,data,fill_price}')::double precision END,
	'limitPrice', NULL,
	'attempts', j."attempts",
	'placed', jsonb_path_exists(j."events", '$[*] ? (@.event.type == "order_placed")'),
	'callOutstanding', false,
	'absentConclusiveAfter', NULL,
	'acceptedAt', CASE WHEN j."status" = 'accepted'
		THEN floor(extract(epoch FROM j."created_at") * 1000) END,
	'cancel', NULL);--> statement-breakpoint
ALTER TABLE "engine_execution_journal" ALTER COLUMN "state" SET NOT NULL;--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "engine_execution_journal_unfinished_idx" ON "engine_execution_journal" USING btree ("namespace","claimed_by") WHERE "engine_execution_journal"."status" in ('pending', 'submitted', 'unknown', 'accepted', 'partially_filled') or "engine_execution_journal"."published" < jsonb_array_length("engine_execution_journal"."events");--> statement-breakpoint
ALTER TABLE "engine_execution_journal" DROP COLUMN IF EXISTS "lease_until";
