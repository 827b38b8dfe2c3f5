import { isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { PluginSettings, TraderPlugin } from "@engine/core";
import { paperPlugin } from "@engine/trader-paper";
import { upstoxPlugin } from "@engine/trader-upstox";
import { zerodhaPlugin } from "@engine/trader-zerodha";
import { z } from "zod";

/** Any plugin, whatever its settings. */
// biome-ignore lint/suspicious/noExplicitAny: plugins are heterogeneous in their settings type
export type AnyTraderPlugin = TraderPlugin<any>;

/** The brokers this build of the engine ships. */
export const SHIPPED_PLUGINS: readonly AnyTraderPlugin[] = [
  paperPlugin,
  zerodhaPlugin,
  upstoxPlugin,
];

/** The simulator that stands in for live brokers in shadow mode. */
export const SIMULATOR_PLUGIN: TraderPlugin<PluginSettings> = paperPlugin;

/**
 * Loads extra plugins named in `ENGINE_PLUGIN_MODULES` (package names or paths): a broker can be
 * added to a deployment without rebuilding the engine. Each module exports `plugin` or a default.
 */
export async function loadPluginModules(specifiers: readonly string[]): Promise<AnyTraderPlugin[]> {
  const plugins: AnyTraderPlugin[] = [];
  for (const specifier of specifiers) {
    const target =
      specifier.startsWith(".") || isAbsolute(specifier)
        ? pathToFileURL(resolve(specifier)).href
        : specifier;
    const module = (await import(target)) as { plugin?: unknown; default?: unknown };
    const candidate = module.plugin ?? module.default;
    if (!isPlugin(candidate)) {
      throw new Error(
        `Module "${specifier}" exports no trader plugin (expected "plugin" or a default export)`,
      );
    }
    plugins.push(candidate);
  }
  return plugins;
}

/**
 * What a loaded module must export to be taken for a plugin (its capabilities are the trader's
 * own declaration, checked when the trader is built).
 */
const PluginShapeSchema = z.looseObject({
  namespace: z.string().min(1),
  live: z.boolean(),
  create: z.instanceof(Function),
  enabledFor: z.instanceof(Function),
  settingsSchema: z.looseObject({}),
});

function isPlugin(value: unknown): value is AnyTraderPlugin {
  return PluginShapeSchema.safeParse(value).success;
}
