// The text/event-stream format, read incrementally: sutra-control's stream is read with fetch (the
// admin token goes in a header, which EventSource cannot send), so the page parses it itself.

export interface StreamEvent {
  id: string;
  event: string;
  data: string;
}

/** Feed it the decoded text as it arrives; it answers the events completed by that text. */
export class SseParser {
  private buffer = "";
  private id = "";
  private event = "";
  private data: string[] = [];

  push(text: string): StreamEvent[] {
    this.buffer += text;
    const out: StreamEvent[] = [];
    let nl: number;
    while ((nl = this.buffer.search(/\r\n|\n|\r/)) >= 0) {
      const line = this.buffer.slice(0, nl);
      const width = this.buffer.startsWith("\r\n", nl) ? 2 : 1;
      if (this.buffer[nl] === "\r" && width === 1 && nl === this.buffer.length - 1) break; // maybe half a CRLF
      this.buffer = this.buffer.slice(nl + width);
      if (line === "") {
        if (this.data.length > 0) out.push({ id: this.id, event: this.event || "message", data: this.data.join("\n") });
        this.event = "";
        this.data = [];
        continue;
      }
      if (line.startsWith(":")) continue; // a comment (keep-alive)
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? "" : line.slice(colon + 1);
      if (value.startsWith(" ")) value = value.slice(1);
      if (field === "id") this.id = value;
      else if (field === "event") this.event = value;
      else if (field === "data") this.data.push(value);
    }
    return out;
  }

  /** The id of the last event seen (sent back as Last-Event-ID on reconnect). */
  get lastId(): string {
    return this.id;
  }
}
