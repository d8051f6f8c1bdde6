// Shapes of sutra-api's answers the app reads (its OpenAPI schema is the source; the Vitest
// fixtures recorded from a real sutra-api are checked against it).
export interface PathStep {
  concept_id: string;
  content: string;
  relation: string | null;
  hop_confidence: number | null;
  predicate?: string | null;
  valid_from?: number | null;
  valid_to?: number | null;
  superseded_by?: string | null;
}
export interface ReasoningPath {
  steps: PathStep[];
  confidence: number;
}
export interface AskResponse {
  question: string;
  answer: string;
  confidence: number;
  kind: "path" | "direct" | "none";
  paths: ReasoningPath[];
  explanation: string;
  answer_concept_id?: string | null;
  supporting_facts?: string[];
}
export interface LearnResponse {
  concept_id: string;
  concept_ids: string[];
  concepts_created: number;
  associations_created: number;
}
export interface LearnBatchResponse {
  results: LearnResponse[];
  concepts_created: number;
  associations_created: number;
}
export interface SearchHit {
  concept_id: string;
  similarity: number;
  content: string;
  match?: "text" | "vector" | "both" | null; // absent from a vector-only search
}
export interface Concept {
  id: string;
  content: string;
  strength: number;
  confidence: number;
  created: number;
  last_accessed: number;
  access_count: number;
  metadata: Record<string, unknown>;
}
export interface Neighbor {
  concept_id: string;
  type: string;
  confidence: number;
  weight: number;
  direction: "out" | "in";
  predicate?: string;
  valid_from?: number;
  valid_to?: number;
  superseded_by?: string;
  content: string | null;
}
export interface NeighborsResponse {
  concept_id: string;
  neighbors: Neighbor[];
}
export interface Stats {
  concepts: number;
  associations: number;
  vectors: number;
  embedder: string;
  dimension: number;
  wal_bytes: number;
  last_snapshot: number | null;
  memory_bytes: number;
  read_only: boolean;
  capacity: number;
}
export interface Health {
  status: string;
  storage: { status: string; read_only?: boolean; error?: string; [k: string]: unknown };
}
