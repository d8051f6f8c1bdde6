// From sutra-api's answers to a graph: concepts are nodes, relations labelled edges, laid out left
// to right by dagre. Node ids are concept ids and edge ids `source->target`, so each is reachable
// as data-testid="rf__node-<id>" / "rf__edge-<id>" in the drawn page.
import { Graph, layout } from "@dagrejs/dagre";
import type { Neighbor, ReasoningPath } from "./types";

export interface GNode {
  id: string;
  label: string;
  role: "question" | "answer" | "fact" | "concept" | "focus";
}
export interface GEdge {
  id: string;
  source: string;
  target: string;
  label: string;
  superseded: boolean;
  when?: string;
}
export interface LaidOut {
  nodes: (GNode & { x: number; y: number })[];
  edges: GEdge[];
}

export const NODE_WIDTH = 190;
export const NODE_HEIGHT = 64;

export function edgeId(source: string, target: string): string {
  return `${source}->${target}`;
}

function year(seconds: number | null | undefined): string {
  return seconds ? String(new Date(seconds * 1000).getUTCFullYear()) : "";
}

export function isSuperseded(h: { valid_to?: number | null; superseded_by?: string | null }): boolean {
  return Boolean((h.valid_to && h.valid_to > 0) || h.superseded_by);
}

export function period(h: { valid_from?: number | null; valid_to?: number | null }): string | undefined {
  if (!h.valid_to) return undefined;
  return `${year(h.valid_from)}–${year(h.valid_to)}`;
}

/** The reasoning paths of an answer as one graph (shared concepts merged). */
export function pathsToGraph(paths: ReasoningPath[], answerId?: string | null): { nodes: GNode[]; edges: GEdge[] } {
  const nodes = new Map<string, GNode>();
  const edges = new Map<string, GEdge>();
  for (const p of paths) {
    p.steps.forEach((s, i) => {
      if (!nodes.has(s.concept_id)) {
        const last = i === p.steps.length - 1;
        const role = i === 0 ? "question" : s.concept_id === answerId || (last && !answerId) ? "answer" : "concept";
        nodes.set(s.concept_id, { id: s.concept_id, label: s.content, role });
      }
      if (i > 0) {
        const prev = p.steps[i - 1];
        const id = edgeId(prev.concept_id, s.concept_id);
        if (!edges.has(id)) {
          edges.set(id, {
            id,
            source: prev.concept_id,
            target: s.concept_id,
            label: s.predicate || s.relation || "",
            superseded: isSuperseded(s),
            when: period(s),
          });
        }
      }
    });
  }
  return { nodes: [...nodes.values()], edges: [...edges.values()] };
}

/** A concept's neighbours added to a graph (expanding it in place). */
export function addNeighbors(
  graph: { nodes: GNode[]; edges: GEdge[] },
  center: string,
  neighbors: Neighbor[],
): { nodes: GNode[]; edges: GEdge[] } {
  const nodes = new Map(graph.nodes.map((n) => [n.id, n]));
  const edges = new Map(graph.edges.map((e) => [e.id, e]));
  for (const n of neighbors) {
    if (!nodes.has(n.concept_id)) {
      nodes.set(n.concept_id, { id: n.concept_id, label: n.content ?? n.concept_id.slice(0, 8), role: "concept" });
    }
    const [source, target] = n.direction === "out" ? [center, n.concept_id] : [n.concept_id, center];
    const id = edgeId(source, target);
    if (!edges.has(id)) {
      edges.set(id, {
        id,
        source,
        target,
        label: n.predicate || n.type,
        superseded: isSuperseded(n),
        when: period(n),
      });
    }
  }
  return { nodes: [...nodes.values()], edges: [...edges.values()] };
}

/** Positions, left to right (top to bottom on a narrow screen, where a row would be unreadably small). */
export function layoutGraph(g: { nodes: GNode[]; edges: GEdge[] }, direction: "LR" | "TB" = "LR"): LaidOut {
  const d = new Graph();
  d.setGraph({ rankdir: direction, nodesep: 30, ranksep: direction === "LR" ? 70 : 50, marginx: 10, marginy: 10 });
  d.setDefaultEdgeLabel(() => ({}));
  for (const n of g.nodes) d.setNode(n.id, { width: NODE_WIDTH, height: NODE_HEIGHT });
  for (const e of g.edges) {
    // room for the label between the ranks, so a long one ("lives in (superseded 2005–2015)") stays readable
    const text = e.superseded ? `${e.label} (superseded ${e.when ?? ""})` : e.label;
    d.setEdge(e.source, e.target, { width: Math.min(text.length * 7, 260), height: 16, labelpos: "c" });
  }
  layout(d);
  return {
    nodes: g.nodes.map((n) => {
      const p = d.node(n.id);
      return { ...n, x: p.x - NODE_WIDTH / 2, y: p.y - NODE_HEIGHT / 2 };
    }),
    edges: g.edges,
  };
}
