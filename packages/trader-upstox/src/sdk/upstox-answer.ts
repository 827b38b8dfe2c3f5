import type { SdkError, SdkResponse } from "upstox-js-sdk";
import { z } from "zod";

/**
 * What one call to Upstox came to, classified at the edge:
 * - `ok`: a 2xx with `status: "success"`; `body` is the whole envelope, snake_case as sent;
 * - `refused`: Upstox answered with an error it explains (4xx other than 401 and 429): the
 *   request did nothing;
 * - `token`: 401, the token is invalid or expired (`UDAPI100050`): nothing was done;
 * - `rate_limited`: 429: nothing was done;
 * - `ambiguous`: no clear answer (timeout, reset, 5xx, a 2xx that is not Upstox's success):
 *   for a write, the order may or may not exist.
 */
export type UpstoxAnswer =
  | { kind: "ok"; body: unknown }
  | { kind: "refused"; status: number; code: string | null; message: string }
  | { kind: "token"; message: string }
  | { kind: "rate_limited"; message: string }
  | { kind: "ambiguous"; reason: string };

const ErrorEnvelope = z.object({
  status: z.literal("error"),
  errors: z
    .array(
      z.looseObject({
        errorCode: z.string().optional(),
        error_code: z.string().optional(),
        message: z.string().optional(),
      }),
    )
    .min(1),
});

const SuccessEnvelope = z.looseObject({ status: z.literal("success") });

/** Classifies what the client's callback received. */
export function classifyAnswer(error: SdkError | null, response?: SdkResponse): UpstoxAnswer {
  const status =
    error?.status ?? error?.statusCode ?? (error === null ? response?.status : undefined);
  const body = error?.response?.body ?? response?.body;
  if (error === null || (status !== undefined && status >= 200 && status < 300)) {
    return SuccessEnvelope.safeParse(body).success && error === null
      ? { kind: "ok", body }
      : { kind: "ambiguous", reason: `a ${status ?? "2xx"} answer that is not Upstox's success` };
  }
  if (status === undefined) {
    // Timeout, reset, refused connection, unreadable body: the request may have arrived.
    return {
      kind: "ambiguous",
      reason: `no answer from Upstox (${error.code ?? error.message ?? "network error"})`,
    };
  }
  const { code, message } = describeError(status, body, error);
  if (status === 401) return { kind: "token", message };
  if (status === 429) return { kind: "rate_limited", message };
  if (status >= 500) return { kind: "ambiguous", reason: `Upstox answered ${message}` };
  return { kind: "refused", status, code, message };
}

/** The error code and a one-line message from Upstox's error envelope, or from the status. */
function describeError(
  status: number,
  body: unknown,
  error: SdkError,
): { code: string | null; message: string } {
  const parsed = ErrorEnvelope.safeParse(body);
  const first = parsed.success ? parsed.data.errors[0] : undefined;
  const code = first?.errorCode ?? first?.error_code ?? null;
  return {
    code,
    message: `${code ?? `HTTP ${status}`}: ${first?.message ?? error.message ?? "no message"}`,
  };
}
