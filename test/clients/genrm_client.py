#!/usr/bin/env python3
"""A generative-reward client as verl's genrm_remote recipe runs one, on the standard library only:
many chat requests to an OpenAI-compatible server at once from a thread pool, each answer parsed
for its \\boxed{} verdict. test/native/openai-python.test.ts runs it against `rrm serve`.

    python3 genrm_client.py --base-url http://127.0.0.1:8090 [--api-key KEY] [--requests 16] [--workers 16]

Prints one JSON line: how many requests were answered, with which verdicts, and the usage.
"""
import argparse
import json
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

PROMPT = (
    "## Query\n\n{question}\n\n## Assistant responses\n\n### Assistant 1\n\n{first}\n\n\n"
    "### Assistant 2\n\n{second}\n\n## Analysis\n\nLet's analyze this step by step and decide which "
    "assistant is better, and then answer \\boxed{{Assistant 1}} or \\boxed{{Assistant 2}}."
)


def last_boxed(text):
    """The content of the last \\boxed{...} (braces balanced), or None: verl's last_boxed_only_string."""
    start = text.rfind("\\boxed{")
    if start < 0:
        return None
    depth, i = 0, start + len("\\boxed")
    for j in range(i, len(text)):
        if text[j] == "{":
            depth += 1
        elif text[j] == "}":
            depth -= 1
            if depth == 0:
                return text[i + 1 : j]
    return None


def verdict(content):
    box = last_boxed(content or "")
    return {"Assistant 1": 1, "Assistant 2": 2}.get(box.strip() if box is not None else None)


def chat(base_url, api_key, body, timeout):
    request = urllib.request.Request(
        base_url.rstrip("/") + "/v1/chat/completions",
        data=json.dumps(body).encode("utf-8"),
        headers={"Content-Type": "application/json", "Authorization": "Bearer " + api_key},
        method="POST",
    )
    # Retries on 429 and 503 after Retry-After, as a pipeline under backpressure should.
    for attempt in range(8):
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return json.loads(response.read().decode("utf-8"))
        except urllib.error.HTTPError as e:
            if e.code in (429, 503) and attempt < 7:
                time.sleep(float(e.headers.get("Retry-After") or 1))
                continue
            raise


def judge(args, i):
    question = "Which number is larger, %d or %d?" % (i, i + 1)
    body = {
        "model": args.model,
        "messages": [{"role": "user", "content": PROMPT.format(question=question, first=str(i + 1), second=str(i))}],
        "max_tokens": args.max_tokens,
        "temperature": 0.6,
        "seed": i,
    }
    answer = chat(args.base_url, args.api_key, body, args.timeout)
    message = answer["choices"][0]["message"]
    return {
        "verdict": verdict(message.get("content")),
        "finish_reason": answer["choices"][0]["finish_reason"],
        "reasoning_chars": len(message.get("reasoning_content") or ""),
        "completion_tokens": answer["usage"]["completion_tokens"],
    }


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--base-url", required=True)
    p.add_argument("--api-key", default="EMPTY")
    p.add_argument("--model", default="rrm")
    p.add_argument("--requests", type=int, default=16)
    p.add_argument("--workers", type=int, default=16)
    p.add_argument("--max-tokens", type=int, default=16)
    p.add_argument("--timeout", type=float, default=300)
    args = p.parse_args()
    # The parser itself, on answers whose verdict is known.
    assert verdict("x</think>\n\n\\boxed{Assistant 2}") == 2 and verdict("\\boxed{Assistant 1} \\boxed{ Assistant 2 }") == 2
    assert verdict("\\boxed{Assistant 3}") is None and verdict("no box") is None and verdict(None) is None
    t0 = time.time()
    with ThreadPoolExecutor(max_workers=args.workers) as pool:
        results = list(pool.map(lambda i: judge(args, i), range(args.requests)))
    print(json.dumps({
        "answered": len(results),
        "verdicts": {str(k): sum(1 for r in results if r["verdict"] == k) for k in (1, 2, None)},
        "finish_reasons": sorted({r["finish_reason"] for r in results}),
        "completion_tokens": sum(r["completion_tokens"] for r in results),
        "reasoning_chars": sum(r["reasoning_chars"] for r in results),
        "seconds": round(time.time() - t0, 2),
    }))


if __name__ == "__main__":
    sys.exit(main())
