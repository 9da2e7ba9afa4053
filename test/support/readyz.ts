/**
 * `GET /readyz` of a gateway: the status and the JSON report. `Report` names the fields a test reads (the gateway's
 * shape is `ReadyReport` in src/http/readiness.ts); tests that compare the whole report leave it a plain record.
 */
export async function readyz<Report = Record<string, unknown>>(
  origin: string,
): Promise<{ status: number; body: Report }> {
  const response = await fetch(`${origin}/readyz`);
  return { status: response.status, body: (await response.json()) as Report };
}
