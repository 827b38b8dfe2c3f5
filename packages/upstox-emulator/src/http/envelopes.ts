/** Upstox's success envelope. */
export function success(data: unknown, latency = 7): object {
  return { status: "success", data, metadata: { latency } };
}

/** Upstox's error envelope, with the camelCase and snake_case spellings it sends both of. */
export function failure(code: string, message: string, propertyPath: string | null = null): object {
  return {
    status: "error",
    errors: [
      {
        errorCode: code,
        message,
        propertyPath,
        invalidValue: null,
        error_code: code,
        property_path: propertyPath,
        invalid_value: null,
      },
    ],
  };
}

/** An answer: a status and a JSON body. */
export interface Answer {
  status: number;
  body: object;
}

export const answers = {
  badToken: (): Answer => ({
    status: 401,
    body: failure("UDAPI100050", "Invalid token used to access API"),
  }),
  rateLimited: (): Answer => ({
    status: 429,
    body: failure("UDAPI10005", "Too Many Request Sent"),
  }),
  serverError: (status: number): Answer => ({
    status,
    body: failure("UDAPI100500", "Something went wrong, please try after some time"),
  }),
  badInput: (code: string, message: string, path: string | null = null): Answer => ({
    status: 400,
    body: failure(code, message, path),
  }),
  notFound: (): Answer => ({ status: 404, body: failure("UDAPI100060", "Resource not Found.") }),
};
