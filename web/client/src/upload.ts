// Learn files: .txt (one fact per line) and .jsonl (one {"content", "source"?, "metadata"?} per
// line). Lines that cannot be learned are reported by their number; the rest go in batches.
export interface UploadItem {
  line: number;
  content: string;
  source?: string;
  metadata?: Record<string, unknown>;
}
export interface LineError {
  line: number;
  message: string;
}

export const MAX_UPLOAD_BYTES = 16 * 1024 * 1024; // sutra-api's MAX_REQUEST_BODY_BYTES
export const MAX_LINE_BYTES = 256 * 1024; // sutra-api's MAX_LEARN_TEXT_BYTES
export const UPLOAD_BATCH = 100; // lines per /learn/batch call (progress moves per batch)

export function parseUpload(name: string, text: string): { items: UploadItem[]; errors: LineError[] } {
  const kind = name.toLowerCase().endsWith(".jsonl") ? "jsonl" : name.toLowerCase().endsWith(".txt") ? "txt" : null;
  if (kind === null) {
    return { items: [], errors: [{ line: 0, message: `${name}: only .txt (one fact per line) and .jsonl files can be learned` }] };
  }
  const items: UploadItem[] = [];
  const errors: LineError[] = [];
  const enc = new TextEncoder();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    if (!raw.trim()) return;
    if (enc.encode(raw).length > MAX_LINE_BYTES) {
      errors.push({ line, message: `longer than ${MAX_LINE_BYTES} bytes (MAX_LEARN_TEXT_BYTES)` });
      return;
    }
    if (kind === "txt") {
      items.push({ line, content: raw.trim() });
      return;
    }
    let obj: unknown;
    try {
      obj = JSON.parse(raw);
    } catch (e) {
      errors.push({ line, message: `not valid JSON: ${(e as Error).message}` });
      return;
    }
    if (typeof obj !== "object" || obj === null || Array.isArray(obj)) {
      errors.push({ line, message: 'must be a JSON object like {"content": "..."}' });
      return;
    }
    const o = obj as Record<string, unknown>;
    if (typeof o.content !== "string" || !o.content.trim()) {
      errors.push({ line, message: '"content" is missing or not a non-empty string' });
      return;
    }
    if (o.source !== undefined && typeof o.source !== "string") {
      errors.push({ line, message: '"source" must be a string' });
      return;
    }
    if (o.metadata !== undefined && (typeof o.metadata !== "object" || o.metadata === null || Array.isArray(o.metadata))) {
      errors.push({ line, message: '"metadata" must be an object' });
      return;
    }
    items.push({
      line,
      content: o.content,
      source: o.source as string | undefined,
      metadata: o.metadata as Record<string, unknown> | undefined,
    });
  });
  return { items, errors };
}
