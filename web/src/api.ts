// The JSON API client. Every call is POST /api/v1/<Service>/<Method> with the request message in
// protobuf's JSON mapping; the session is an HttpOnly cookie the page never sees, and the CSRF
// token the server gave at login goes back in the X-CSRF-Token header.
//
// The client is typed from proto/verkenner/v1: `npm run generate` (scripts/build-web) writes the
// declarations of every message's JSON form (FooJson: lowerCamelCase names, enums by name, int64
// as strings, every field optional) and of every service into src/gen. `call` takes the service
// and method by their proto names and checks the request and the reply against them. Only types
// come from there: the JSON goes over the wire as the server writes it, so no protobuf runtime
// is bundled.

import type { DescMethod, DescService, MessageJsonType } from "@bufbuild/protobuf";
import type * as candidateRights from "./gen/verkenner/v1/candidate_rights_pb";
import type * as contactRequests from "./gen/verkenner/v1/contact_requests_pb";
import type * as identity from "./gen/verkenner/v1/identity_pb";
import type * as profileImport from "./gen/verkenner/v1/profile_import_pb";
import type * as savedProfiles from "./gen/verkenner/v1/saved_profiles_pb";
import type * as search from "./gen/verkenner/v1/search_pb";
import type * as sessions from "./gen/verkenner/v1/sessions_pb";
import type { AccountJson } from "./gen/verkenner/v1/sessions_pb";
import type * as shortlists from "./gen/verkenner/v1/shortlists_pb";

// The proto files that define services; a new one goes here.
type ServiceFiles = typeof candidateRights &
  typeof contactRequests &
  typeof identity &
  typeof profileImport &
  typeof savedProfiles &
  typeof search &
  typeof sessions &
  typeof shortlists;
// Every service of verkenner.v1 by its proto name ("CandidateSearchService").
type Services = {
  [K in keyof ServiceFiles as ServiceFiles[K] extends DescService ? K : never]: ServiceFiles[K];
};
export type ServiceName = keyof Services & string;
type MethodsOf<S extends ServiceName> = Services[S] extends { method: infer M } ? M : never;
// A service's unary methods by their proto names ("SearchCandidates"); the generated
// descriptors name them in lowerCamelCase. Streaming methods have no JSON route.
export type MethodName<S extends ServiceName> = {
  [K in keyof MethodsOf<S> & string]: MethodsOf<S>[K] extends { methodKind: "unary" }
    ? Capitalize<K>
    : never;
}[keyof MethodsOf<S> & string];
type Method<S extends ServiceName, M extends MethodName<S>> = MethodsOf<S>[Uncapitalize<M> &
  keyof MethodsOf<S>] &
  DescMethod;
// The JSON forms of a method's request and reply.
export type RequestOf<S extends ServiceName, M extends MethodName<S>> = MessageJsonType<
  Method<S, M>["input"]
>;
export type ReplyOf<S extends ServiceName, M extends MethodName<S>> = MessageJsonType<
  Method<S, M>["output"]
>;

const CSRF_STORAGE_KEY = "verkenner.csrf";

// The ErrorInfo reason of a missing or wrong X-CSRF-Token (proto/verkenner/v1/error_reason.proto).
export const CSRF_TOKEN_INVALID = "CSRF_TOKEN_INVALID";
// google.rpc.Code FAILED_PRECONDITION: the call is valid but the resource is not in a state for it.
const FAILED_PRECONDITION = 9;

// The error body: a google.rpc.Status in protobuf's JSON mapping.
interface ErrorBody {
  code?: number;
  message?: string;
  details?: { "@type"?: string; reason?: string }[];
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    // The google.rpc.Code number; 14 (UNAVAILABLE) when the server could not be reached.
    readonly code: number,
    message: string,
    readonly retryAfterSeconds: number | null = null,
    // The ErrorInfo reason: what a program acts on (CSRF_TOKEN_INVALID, REQUEST_NOT_CLAIMED, ...).
    readonly reason: string = "",
  ) {
    super(message);
  }
}

// Called when the server no longer knows the session (expired, logged out elsewhere).
let onSessionLost: () => void = () => {};
export function setSessionLostHandler(handler: () => void): void {
  onSessionLost = handler;
}

function csrfToken(): string {
  return sessionStorage.getItem(CSRF_STORAGE_KEY) ?? "";
}

async function errorOf(response: Response): Promise<ApiError> {
  let code = 2; // UNKNOWN
  let message = "";
  let reason = "";
  try {
    const body = (await response.json()) as ErrorBody;
    code = body.code ?? code;
    message = body.message ?? "";
    const info = body.details?.find((detail) => detail["@type"]?.endsWith("google.rpc.ErrorInfo"));
    reason = info?.reason ?? "";
  } catch {
    // Not JSON: a proxy or the listener itself answered.
  }
  const retryAfter = Number(response.headers.get("Retry-After"));
  return new ApiError(
    response.status,
    code,
    message,
    Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : null,
    reason,
  );
}

async function post(path: string, body: BodyInit, contentType: string): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(path, {
      method: "POST",
      headers: { "Content-Type": contentType, "X-CSRF-Token": csrfToken() },
      body,
      credentials: "same-origin",
    });
  } catch {
    throw new ApiError(0, 14, "Geen verbinding met Verkenner.");
  }
  if (!response.ok) {
    const error = await errorOf(response);
    // 401: the session ended. 403 about the CSRF token: the token in this tab is not the
    // session's (damaged, or from before the store was replaced). Either way only logging in
    // again helps.
    if (error.status === 401 || (error.status === 403 && error.reason === CSRF_TOKEN_INVALID)) {
      sessionStorage.removeItem(CSRF_STORAGE_KEY);
      onSessionLost();
    }
    throw error;
  }
  return response;
}

export async function call<S extends ServiceName, M extends MethodName<S>>(
  service: S,
  method: M,
  request: RequestOf<S, M> = {} as RequestOf<S, M>,
): Promise<ReplyOf<S, M>> {
  const response = await post(
    `/api/v1/${service}/${method}`,
    JSON.stringify(request),
    "application/json",
  );
  return (await response.json()) as ReplyOf<S, M>;
}

export function hasSession(): boolean {
  return csrfToken() !== "";
}

export async function login(email: string, password: string): Promise<AccountJson> {
  sessionStorage.removeItem(CSRF_STORAGE_KEY);
  const response = await post(
    "/api/v1/session",
    JSON.stringify({ email, password }),
    "application/json",
  );
  const token = response.headers.get("X-CSRF-Token");
  if (!token) throw new ApiError(500, 13, "De server gaf geen CSRF-token."); // 13: INTERNAL
  sessionStorage.setItem(CSRF_STORAGE_KEY, token);
  // CreateSession's reply without the session token, which the gateway puts in the cookie.
  const body = (await response.json()) as Omit<
    ReplyOf<"SessionService", "CreateSession">,
    "sessionToken"
  >;
  return body.account ?? {};
}

export async function logout(): Promise<void> {
  try {
    await post("/api/v1/session/logout", "{}", "application/json");
  } finally {
    sessionStorage.removeItem(CSRF_STORAGE_KEY);
  }
}

// The rows of an import file for the progress bar: its lines that are not blank, without a CSV
// file's header row. Line breaks inside quoted CSV cells make it an estimate, which is enough.
async function countRows(file: File): Promise<number> {
  const reader = file.stream().getReader();
  let rows = 0;
  let lineHasText = false;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    for (const byte of value) {
      if (byte === 10) {
        if (lineHasText) rows++;
        lineHasText = false;
      } else if (byte !== 13 && byte !== 32 && byte !== 9) {
        lineHasText = true;
      }
    }
  }
  if (lineHasText) rows++;
  const csv = file.name.toLowerCase().endsWith(".csv");
  return csv && rows > 0 ? rows - 1 : rows;
}

// Uploads an import file as the request body; the server streams it into ProfileImportService.
export async function uploadImport(
  file: File,
  importId: string,
  mode: string,
): Promise<{ importId: string }> {
  const query = new URLSearchParams({
    import_id: importId,
    mode,
    file_name: file.name,
    expected_rows: String(await countRows(file)),
  });
  const response = await post(
    `/api/v1/imports?${query}`,
    file,
    file.type || "application/octet-stream",
  );
  return (await response.json()) as { importId: string };
}

// A message for people: what went wrong and what they can do.
export function describeError(error: unknown): string {
  if (!(error instanceof ApiError)) return "Er ging iets mis. Probeer het later opnieuw.";
  switch (error.status) {
    case 0:
      return error.message;
    case 400:
      return error.code === FAILED_PRECONDITION
        ? `Dit kan nu niet: ${error.message}`
        : `De invoer klopt niet: ${error.message}`;
    case 401:
      return "Uw sessie is verlopen. Log opnieuw in.";
    case 403:
      return "U heeft geen toegang tot deze gegevens.";
    case 404:
      return "Niet gevonden. Misschien is het verwijderd of hoort het bij een andere organisatie.";
    case 409:
      return `Dit kan nu niet: ${error.message}`;
    case 429:
      return error.retryAfterSeconds
        ? `U heeft de limiet bereikt. Probeer het over ${formatWait(error.retryAfterSeconds)} opnieuw.`
        : "U heeft de limiet bereikt. Probeer het later opnieuw.";
    case 503:
    case 504:
      return "Verkenner is tijdelijk niet bereikbaar. Probeer het zo opnieuw.";
    default:
      return "Er ging iets mis op de server. Probeer het later opnieuw.";
  }
}

function formatWait(seconds: number): string {
  if (seconds < 90) return `${Math.ceil(seconds)} seconden`;
  if (seconds < 5400) return `${Math.ceil(seconds / 60)} minuten`;
  return `${Math.ceil(seconds / 3600)} uur`;
}

// An idempotency key for calls that create something, so a resend after a lost answer is safe.
export function requestId(): string {
  return crypto.randomUUID();
}
