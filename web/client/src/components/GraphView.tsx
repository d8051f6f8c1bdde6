// A graph of concepts drawn with @xyflow/react: read-only, each node a button that opens (or
// expands) its concept, edges labelled with their relation, superseded facts dashed and named so.
import { useMemo } from "react";
import { ReactFlow, Background, Controls, MarkerType, Position, type Edge, type Node } from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import { layoutGraph, NODE_HEIGHT, NODE_WIDTH, type GEdge, type GNode } from "../graph";

interface Props {
  graph: { nodes: GNode[]; edges: GEdge[] };
  onNode: (id: string) => void;
  label: string;
}

export const NARROW_PX = 600;

export function GraphView({ graph, onNode, label }: Props) {
  const narrow = typeof window !== "undefined" && window.innerWidth < NARROW_PX;
  const { nodes, edges } = useMemo(() => {
    const laid = layoutGraph(graph, narrow ? "TB" : "LR");
    const nodes: Node[] = laid.nodes.map((n) => ({
      id: n.id,
      position: { x: n.x, y: n.y },
      data: { label: n.label },
      className: `gnode gnode-${n.role}`,
      style: { width: NODE_WIDTH, minHeight: NODE_HEIGHT },
      sourcePosition: narrow ? Position.Bottom : Position.Right,
      targetPosition: narrow ? Position.Top : Position.Left,
      ariaLabel: `${n.role === "answer" ? "Answer" : "Concept"}: ${n.label}. Open it.`,
      connectable: false,
      draggable: false,
      focusable: true,
    }));
    const edges: Edge[] = laid.edges.map((e) => ({
      id: e.id,
      source: e.source,
      target: e.target,
      label: e.superseded ? `${e.label} (superseded${e.when ? ` ${e.when}` : ""})` : e.label,
      className: e.superseded ? "gedge superseded" : "gedge",
      style: e.superseded ? { strokeDasharray: "6 4", stroke: "#8a4b00" } : { stroke: "#334" },
      labelStyle: { fill: e.superseded ? "#8a4b00" : "#223", fontSize: 12 },
      labelBgStyle: { fill: "#fff" },
      markerEnd: { type: MarkerType.ArrowClosed },
      ariaLabel: `${e.label}${e.superseded ? ", superseded" : ""}`,
      focusable: false,
    }));
    return { nodes, edges };
  }, [graph, narrow]);
  return (
    <div className={narrow ? "graph narrow" : "graph"} role="figure" aria-label={label}>
      <ReactFlow
        key={nodes.length} // a graph that grew is fitted to the view again
        nodes={nodes}
        edges={edges}
        fitView
        fitViewOptions={{ padding: 0.15, maxZoom: 1.2 }}
        nodesConnectable={false}
        nodesDraggable={false}
        elementsSelectable
        onNodeClick={(_, n) => onNode(n.id)}
        onKeyDown={(ev) => {
          const t = ev.target as HTMLElement;
          const id = t.closest(".react-flow__node")?.getAttribute("data-id");
          if (id && (ev.key === "Enter" || ev.key === " ")) {
            ev.preventDefault();
            onNode(id);
          }
        }}
        proOptions={{ hideAttribution: true }}
        minZoom={0.2}
      >
        <Background />
        <Controls showInteractive={false} />
      </ReactFlow>
    </div>
  );
}
