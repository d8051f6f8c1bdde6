import { describe, expect, it } from "vitest";
import { MAX_LINE_BYTES, parseUpload } from "../upload";

describe("learn files", () => {
  it("reads a .txt file one fact per line, skipping blank lines", () => {
    const r = parseUpload("facts.txt", "Rain makes roads wet.\n\n  Velmora is the capital of Ostrelia.  \r\n");
    expect(r.errors).toEqual([]);
    expect(r.items).toEqual([
      { line: 1, content: "Rain makes roads wet." },
      { line: 3, content: "Velmora is the capital of Ostrelia." },
    ]);
  });

  it("names each bad line of a .jsonl file and keeps the good ones", () => {
    const text = ['{"content": "A.", "source": "s"}', "{oops", "[1]", '{"content": ""}', '{"content": "B.", "metadata": 3}',
      '{"content": "C.", "metadata": {"k": 1}}'].join("\n");
    const r = parseUpload("x.JSONL", text);
    expect(r.items.map((i) => i.line)).toEqual([1, 6]);
    expect(r.items[0].source).toBe("s");
    expect(r.errors.map((e) => e.line)).toEqual([2, 3, 4, 5]);
    expect(r.errors[0].message).toMatch(/not valid JSON/);
    expect(r.errors[2].message).toMatch(/"content"/);
    expect(r.errors[3].message).toMatch(/"metadata"/);
  });

  it("refuses a line over sutra-api's text limit by name, and other file kinds", () => {
    const r = parseUpload("big.txt", "x".repeat(MAX_LINE_BYTES + 1));
    expect(r.errors[0].message).toMatch(/MAX_LEARN_TEXT_BYTES/);
    expect(parseUpload("facts.csv", "a,b").errors[0].message).toMatch(/only \.txt .* and \.jsonl/);
  });
});
