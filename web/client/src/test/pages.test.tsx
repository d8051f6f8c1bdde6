// Components with sutra-api's recorded answers.
import { afterEach, describe, expect, it, vi } from "vitest";
import { cleanup, render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { AnswerView } from "../pages/AskPage";
import { MATCH_LABELS, SearchPage } from "../pages/SearchPage";
import { LearnPage } from "../pages/LearnPage";
import type { AskResponse, SearchHit } from "../types";
import { recorded, serveRecorded } from "./recorded";

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe("AnswerView", () => {
  it("shows the answer, its confidence and explanation", () => {
    const a = recorded.askTwoHops as AskResponse;
    render(<AnswerView entry={{ question: a.question, answer: a }} />);
    expect(screen.getByTestId("answer-text").textContent).toBe("Ostrelia");
    expect(document.querySelector(".confidence")!.textContent).toContain(`${Math.round(a.confidence * 100)}%`);
    expect(screen.getByText(a.explanation)).toBeTruthy();
    expect(screen.queryByTestId("superseded")).toBeNull();
    expect(screen.getByRole("figure", { name: /Reasoning paths/ })).toBeTruthy();
  });

  it("names the facts that no longer hold when the answer depends on time", () => {
    const a = recorded.askSuperseded as AskResponse;
    render(<AnswerView entry={{ question: a.question, answer: a }} />);
    const list = screen.getByTestId("superseded");
    expect(within(list).getByText(/Hollin Cross from 2005 to 2015/)).toBeTruthy();
  });
});

describe("SearchPage", () => {
  it("lists hits with their score, telling text, vector and both apart", async () => {
    const recordedHits = (recorded.search as { results: SearchHit[] }).results;
    // the recorded answer, plus one of its hits as a text-only hit would come (BM25 score)
    const hits = [...recordedHits, { ...recordedHits[0], concept_id: "f".repeat(32), similarity: 2.5, match: "text" as const }];
    vi.stubGlobal("fetch", serveRecorded({ "POST /api/search": { body: { results: hits } } }));
    render(<SearchPage />);
    await userEvent.type(screen.getByLabelText("Search text"), "Velmora");
    await userEvent.click(screen.getByRole("button", { name: "Search" }));
    const rows = (await screen.findAllByRole("row")).slice(1);
    expect(rows.length).toBe(hits.length);
    rows.forEach((r, i) => {
      expect(r.querySelector(".tag")!.textContent).toBe(MATCH_LABELS[hits[i].match ?? "vector"]);
    });
    expect(recordedHits.some((h) => h.match === "both")).toBe(true);
    expect(within(rows[0]).getByText(recordedHits[0].similarity.toFixed(3))).toBeTruthy();
    expect(within(rows.at(-1)!).getByText("BM25 2.50")).toBeTruthy();
  });
});

describe("LearnPage", () => {
  it("shows sutra-api's error message for a refused text", async () => {
    vi.stubGlobal("fetch", serveRecorded({ "POST /api/learn": { status: 422, body: recorded.error422 } }));
    render(<LearnPage />);
    await userEvent.type(screen.getByLabelText(/Facts to learn/), "x");
    await userEvent.click(screen.getByRole("button", { name: "Learn" }));
    const err = await screen.findByTestId("error");
    expect(err.textContent).toContain((recorded.error422 as { error: { message: string } }).error.message);
  });

  it("links every concept a file created", async () => {
    vi.stubGlobal("fetch", serveRecorded({ "POST /api/learn/batch": { body: recorded.learnBatch } }));
    render(<LearnPage />);
    const file = new File(
      ["The Amberlight Museum is located in Velmora.\nVelmora is the capital of Ostrelia.\nTarrowby lies in the county of Ashdale.\n"],
      "facts.txt",
      { type: "text/plain" },
    );
    await userEvent.upload(screen.getByLabelText(/Or learn a file/), file);
    const links = await screen.findAllByRole("link");
    const ids = (recorded.learnBatch as { results: { concept_id: string }[] }).results.map((r) => r.concept_id);
    expect(links.map((l) => l.getAttribute("href"))).toEqual(ids.map((id) => `#/concept/${id}`));
    expect((screen.getByRole("progressbar") as HTMLProgressElement).value).toBe(3);
  });
});
