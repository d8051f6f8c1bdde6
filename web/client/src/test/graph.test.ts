import { describe, expect, it } from "vitest";
import { addNeighbors, edgeId, layoutGraph, pathsToGraph } from "../graph";
import type { AskResponse, NeighborsResponse } from "../types";
import { recorded } from "./recorded";

const twoHops = recorded.askTwoHops as AskResponse;
const superseded = recorded.askSuperseded as AskResponse;

describe("reasoning paths as a graph", () => {
  it("draws both hops of a two-hop answer: every concept a node, every hop a labelled edge", () => {
    const g = pathsToGraph(twoHops.paths, twoHops.answer_concept_id);
    const steps = twoHops.paths[0].steps;
    expect(g.nodes.map((n) => n.id)).toEqual(steps.map((s) => s.concept_id));
    expect(g.edges.map((e) => e.id)).toEqual(steps.slice(1).map((s, i) => edgeId(steps[i].concept_id, s.concept_id)));
    expect(g.edges.map((e) => e.label)).toEqual(["located in", "located in", "capital of", "capital of"]);
    expect(g.nodes.at(-1)!.role).toBe("answer");
    expect(g.nodes[0].role).toBe("question");
  });

  it("marks a superseded fact with the period it held", () => {
    const g = pathsToGraph(superseded.paths, superseded.answer_concept_id);
    const old = g.edges.filter((e) => e.superseded);
    expect(old.length).toBeGreaterThan(0);
    expect(old[0].when).toBe("2005–2015");
    expect(pathsToGraph(twoHops.paths).edges.some((e) => e.superseded)).toBe(false);
  });

  it("lays the graph out left to right, or top to bottom", () => {
    const g = pathsToGraph(twoHops.paths, twoHops.answer_concept_id);
    const lr = layoutGraph(g, "LR").nodes.map((n) => n.x);
    expect(lr).toEqual([...lr].sort((a, b) => a - b));
    expect(new Set(lr).size).toBe(lr.length);
    const tb = layoutGraph(g, "TB").nodes.map((n) => n.y);
    expect(tb).toEqual([...tb].sort((a, b) => a - b));
  });

  it("expands a concept with its neighbours without duplicating what is drawn", () => {
    const n = recorded.neighbors as NeighborsResponse;
    const start = { nodes: [{ id: n.concept_id, label: "velmora", role: "focus" as const }], edges: [] };
    const once = addNeighbors(start, n.concept_id, n.neighbors);
    expect(once.nodes.length).toBe(1 + new Set(n.neighbors.map((x) => x.concept_id)).size);
    expect(addNeighbors(once, n.concept_id, n.neighbors)).toEqual(once);
  });
});
