import { describe, expect, it } from "vitest";
import { SseParser } from "./sse";
import { applyEvent, empty, figure, formatDuration, mergeTimeline, rowTransitions, withSamples } from "./state";
import { matches, mergeLines, timeOfDay } from "./LogsPanel";

describe("SseParser", () => {
  it("reads events split anywhere across chunks, skipping keep-alive comments", () => {
    const p = new SseParser();
    const text = 'id: 1\nevent: snapshot\ndata: {"a":1}\n\n: keep-alive\n\nid: 2\nevent: state\ndata: {"b":2}\n\n';
    const got = [];
    for (let i = 0; i < text.length; i += 3) got.push(...p.push(text.slice(i, i + 3)));
    expect(got).toEqual([
      { id: "1", event: "snapshot", data: '{"a":1}' },
      { id: "2", event: "state", data: '{"b":2}' },
    ]);
    expect(p.lastId).toBe("2");
  });

  it("joins several data lines and reads CRLF line ends", () => {
    const p = new SseParser();
    expect(p.push("id: 7\r\nevent: log\r\ndata: x\r\ndata: y\r\n\r\n")).toEqual([{ id: "7", event: "log", data: "x\ny" }]);
  });
});

describe("dashboard state", () => {
  const row = { name: "api", state: "ready", pid: 1, uptime: 5, restarts: 0, health: "", ports: [], cpu_percent: 0,
    memory_bytes: 0, last_exit: null, transitions: [] };

  it("a state event changes the badge's state and leads the timeline", () => {
    let d = applyEvent(empty, "snapshot", { services: [row], process_control: true, error: "" }, 100);
    d = applyEvent(d, "state", { at: 101, service: "api", old: "ready", state: "stopping", why: "restart" }, 101);
    expect(d.services[0].state).toBe("stopping");
    expect(d.timeline[0]).toMatchObject({ service: "api", state: "stopping" });
  });

  it("a freshly opened page shows the rows' recent transitions, merged once each with the stream's", () => {
    const withHistory = { ...row, transitions: [
      { at: 90.5, state: "starting", why: "wanted" }, { at: 91.25, state: "running", why: "pid 7" },
      { at: 93, state: "ready", why: "http /ready: 200" }] };
    let d = applyEvent(empty, "snapshot", { services: [withHistory], process_control: true, error: "" }, 100);
    expect(d.timeline.map((t) => `${t.old}>${t.state}`)).toEqual(["running>ready", "starting>running", ">starting"]);
    // the stream's event of a transition the next status also lists (a few ms apart): shown once
    d = applyEvent(d, "state", { at: 101.002, service: "api", old: "ready", state: "stopping", why: "restart" }, 101);
    const again = { ...withHistory, transitions: [...withHistory.transitions, { at: 101, state: "stopping", why: "restart" }] };
    d = applyEvent(d, "snapshot", { services: [again], process_control: true, error: "" }, 102);
    expect(d.timeline.map((t) => t.state)).toEqual(["stopping", "ready", "running", "starting"]);
    expect(d.timeline[0].old).toBe("ready");
  });

  it("the same state reached again later is another transition", () => {
    const t = (at: number) => ({ at, service: "api", old: "running", state: "ready", why: "" });
    expect(mergeTimeline([t(10)], [t(20), t(10.001)]).map((x) => x.at)).toEqual([20, 10.001]);
    expect(rowTransitions([{ ...row, transitions: [] }])).toEqual([]);
  });

  it("a figure the status does not carry yet shows a dash", () => {
    expect([figure(undefined), figure(null), figure(NaN), figure(2.345, 1, " ms"), figure(0)])
      .toEqual(["—", "—", "—", "2.3 ms", "0.0"]);
  });

  it("keeps an hour of samples, ordered and without duplicates", () => {
    const s = (at: number) => ({ at, services: { api: { cpu_percent: 1, memory_bytes: 2, state: "ready" } } });
    const d = withSamples(withSamples(empty, [s(10), s(5000), s(20)]), [s(5000), s(5001)]);
    expect(d.samples.map((x) => x.at)).toEqual([5000, 5001]);
  });

  it("formats durations", () => {
    expect(formatDuration(59)).toBe("59s");
    expect(formatDuration(3700)).toBe("1h 1m");
  });
});

describe("log lines", () => {
  it("merges services' lines by time and filters case-insensitively", () => {
    const a = [{ at: 1, text: "A", cursor: "a1", service: "api" }];
    const b = [{ at: 0.5, text: "B", cursor: "b1", service: "hybrid" }];
    expect(mergeLines(a, b).map((l) => l.text)).toEqual(["B", "A"]);
    expect(mergeLines(mergeLines(a, b), [...a, ...b]).map((l) => l.cursor)).toEqual(["b1", "a1"]); // once each
    // as the log files stamp them (ISO 8601 text): still time order across services
    const c = [{ at: "2026-12-06T10:00:01.000Z", text: "C", cursor: "c1", service: "api" }];
    const d = [{ at: "2026-12-06T10:00:00.500Z", text: "D", cursor: "d1", service: "hybrid" }];
    expect(mergeLines(c, d).map((l) => l.text)).toEqual(["D", "C"]);
    expect(timeOfDay("2026-12-06T10:00:01.000Z")).toBe("10:00:01");
    expect(matches({ at: 0, text: "GET /health 200", cursor: "" }, "health")).toBe(true);
    expect(matches({ at: 0, text: "GET /ask 200", cursor: "" }, "HEALTH")).toBe(false);
  });
});

describe("bulk upload", () => {
  it("takes the format from the extension and the csv columns from its header", async () => {
    const { csvHeader, formatOf } = await import("./BulkPanel");
    expect([formatOf("a.CSV"), formatOf("b.ndjson"), formatOf("c.txt"), formatOf("d")]).toEqual(["csv", "jsonl", "txt", "txt"]);
    expect(csvHeader('id,"fact",  note\r')).toEqual(["id", "fact", "note"]);
  });
});

describe("API traffic", () => {
  const p = (at: number, n: number) => ({ at, concepts: 0, associations: 0, requests: { api: n } });

  it("requests per second between the last two points", async () => {
    const { rate } = await import("./TrafficPanel");
    expect(rate([p(10, 5)], "api")).toBeNull();
    expect(rate([p(10, 5), p(12, 25)], "api")).toBe(10);
  });

  it("sutra-control's requests per second when the status has the key, even null; the page's own without it", async () => {
    const { appRate } = await import("./TrafficPanel");
    const points = [p(10, 5), p(12, 25)];
    expect(appRate({ requests_per_second: 3.5 }, points, "api")).toBe(3.5);
    expect(appRate({ requests_per_second: null }, points, "api")).toBeNull();
    expect(appRate({ requests_total: 25 }, points, "api")).toBe(10);
  });

  it("routes busiest first; none reported is not the same as none used", async () => {
    const { routesOf } = await import("./TrafficPanel");
    const r = (route: string, n: number) => ({ method: "POST", route, requests_total: n, errors_4xx: 0, errors_5xx: 0,
      requests_per_second: null, p50_ms: null, p99_ms: null });
    expect(routesOf({ routes: [r("/learn", 2), r("/ask", 9), r("/search", 2)] })?.map((x) => x.route))
      .toEqual(["/ask", "/learn", "/search"]);
    expect(routesOf({ routes: [] })).toEqual([]);
    expect(routesOf({ requests_total: 3 })).toBeNull();
  });
});
