"""A hook's callback reaches the flow's task threads, and only while its block lasts."""

from __future__ import annotations

import pytest
from prefect import flow, task
from prefect.task_runners import ThreadPoolTaskRunner

from flows.hooks import Hook

said: Hook[[str]] = Hook("test_said")


@task
def tell(word: str) -> None:
    said(word)


@flow(task_runner=ThreadPoolTaskRunner(max_workers=2))
def two_threads() -> None:
    for future in [tell.submit("one"), tell.submit("two")]:
        future.result()


def test_task_threads_call_the_callback_of_the_block_around_the_flow() -> None:
    heard: list[str] = []
    with said.calling(heard.append):
        two_threads()
    assert sorted(heard) == ["one", "two"]
    two_threads()  # outside the block: nobody is called
    assert sorted(heard) == ["one", "two"]


def test_the_inner_block_wins_and_a_raise_unsets_it() -> None:
    outer: list[str] = []
    inner: list[str] = []
    with said.calling(outer.append):
        with pytest.raises(RuntimeError), said.calling(inner.append):
            said("a")
            raise RuntimeError
        said("b")
    said("c")
    assert (outer, inner) == (["b"], ["a"])
