-- The engine's own routing table: the live namespaces each strategy trades on, so a new broker
-- needs rows here rather than a column of the shared strategy_configurations table.
CREATE TABLE IF NOT EXISTS "strategy_execution_targets" (
	"strategy_id" text NOT NULL,
	"namespace" text NOT NULL,
	"enabled" boolean DEFAULT false NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "strategy_execution_targets_strategy_id_namespace_pk" PRIMARY KEY("strategy_id","namespace")
);
