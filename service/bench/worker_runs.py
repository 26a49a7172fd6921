"""The workers' figures: backlog drained per worker count, and create-to-done end to end."""

from __future__ import annotations

import asyncio
import signal
import time
from dataclasses import asdict
from http import HTTPStatus

import aiohttp

from service.bench import processes
from service.bench.harness import Bench, completion_rate, create_body, finished
from service.bench.stats import LoadResult, summarize


def measure_workers(bench: Bench) -> None:
    rates: dict[str, float] = {}
    for concurrency in bench.options.worker_counts:
        count = bench.options.worker_operations
        bench.say(f"workers: {count} creates drained by {concurrency} worker process(es)")
        marker = bench.now()
        asyncio.run(_submit_creates(bench, count, f"W{concurrency}"))
        worker = bench.start_worker(concurrency)
        bench.drain(timeout=600)
        rates[str(concurrency)] = completion_rate(bench.finish_times(since=marker))
        bench.stop(worker)
    bench.figures.service["worker_operations_per_second"] = rates


async def _submit_creates(bench: Bench, count: int, tag: str) -> None:
    names = iter(range(count))

    async def submitter(session: aiohttp.ClientSession) -> None:
        for n in names:
            body = create_body(f"{tag}_{n}", bench.suffix)
            async with session.post(
                bench.base + "/api/v2/accounts", data=body, headers=bench.json_headers
            ) as response:
                if response.status != HTTPStatus.ACCEPTED:
                    raise RuntimeError(f"create answered {response.status}")

    async with aiohttp.ClientSession() as session:
        await asyncio.gather(*(submitter(session) for _ in range(16)))


def measure_end_to_end(bench: Bench) -> None:
    samples = bench.options.e2e_samples
    bench.say(f"end-to-end: {samples} creates one at a time, submit to terminal state")
    bench.figures.service["e2e_idle"] = asdict(asyncio.run(_end_to_end(bench, samples, "E")))
    # Half the two-process worker rate; a run without the workers section (`--only`) uses 100/s.
    rates = bench.figures.service.get("worker_operations_per_second", {})
    rate = max(1.0, rates.get("2", 200.0) / 2)
    bench.say(f"end-to-end under a steady accept load of {rate:.0f}/s")
    background = processes.start_load(
        bench.creates("L{n}", connections=8, rate=rate, duration=3600, warmup=0)
    )
    try:
        under_load = asyncio.run(_end_to_end(bench, samples, "U"))
    finally:
        background.send_signal(signal.SIGTERM)
        load = finished(background)
    bench.figures.service["e2e_under_load"] = {**asdict(under_load), "accept_load": asdict(load)}


async def _end_to_end(bench: Bench, samples: int, tag: str) -> LoadResult:
    seconds: list[float] = []
    async with aiohttp.ClientSession(bench.base) as session:
        started_all = time.perf_counter()
        for n in range(samples):
            body = create_body(f"{tag}_{n}", bench.suffix)
            started = time.perf_counter()
            async with session.post(
                "/api/v2/accounts", data=body, headers=bench.json_headers
            ) as response:
                location = response.headers["Location"]
            status: int = HTTPStatus.ACCEPTED
            while status == HTTPStatus.ACCEPTED:
                async with session.get(
                    location, params={"wait": "30"}, headers=bench.headers
                ) as response:
                    status = response.status
                    await response.read()
            seconds.append(time.perf_counter() - started)
        return summarize(seconds, time.perf_counter() - started_all)
