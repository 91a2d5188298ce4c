// An error with the HTTP status (and headers) a route answers with; `param` names the body field
// at fault where there is one (OpenAI's error shape carries it).
export class HttpError extends Error {
  constructor(readonly status: number, message: string, readonly headers: Record<string, string> = {}, readonly param?: string) {
    super(message);
  }
}
