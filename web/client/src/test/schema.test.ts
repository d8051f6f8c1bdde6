// The recorded answers the component tests use are what sutra-api's OpenAPI schema says it answers.
import { describe, expect, it } from "vitest";
import Ajv2020 from "ajv/dist/2020";
import { recorded } from "./recorded";

const ajv = new Ajv2020({ strict: false, allErrors: true });
ajv.addSchema({ $id: "openapi", components: (recorded.openapi as { components: unknown }).components });

function check(schema: string, body: unknown): string {
  const validate = ajv.compile({ $ref: `openapi#/components/schemas/${schema}` });
  return validate(body) ? "" : ajv.errorsText(validate.errors);
}

describe("recorded sutra-api answers match its OpenAPI schema", () => {
  it.each([
    ["AskResponse", recorded.askTwoHops],
    ["AskResponse", recorded.askSuperseded],
    ["AskResponse", recorded.askNothing],
    ["LearnBatchResponse", recorded.learnBatch],
    ["SearchResponse", recorded.search],
    ["ConceptOut", recorded.concept],
    ["NeighborsResponse", recorded.neighbors],
    ["ErrorResponse", recorded.error422],
  ])("%s", (schema, body) => {
    expect(check(schema, body)).toBe("");
  });

  it("refuses an answer that breaks the schema", () => {
    expect(check("AskResponse", { ...recorded.askTwoHops, confidence: "high" })).not.toBe("");
  });
});
