"""`clipcart serve` and its port: a port still taken is one line, exit 2; a freed one is
used at once. An inbox without a catalog is one line too."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from flows.serve import free_port, wait_port_free
from pipeline.core.errors import ConfigError


def test_a_port_someone_listens_on_is_one_clear_error() -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        with pytest.raises(ConfigError, match=f"port {port} on 127.0.0.1 is in use") as caught:
            wait_port_free(port, timeout_s=0.2)
    assert caught.value.exit_code == 2 and "--port" in caught.value.one_line()


def test_a_free_port_is_taken_at_once() -> None:
    wait_port_free(free_port(), timeout_s=0)


def test_an_inbox_without_a_catalog_is_one_clear_error_before_serving(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from flows.cli import main

    code = main(["serve", "--port", "0", "--inbox", str(tmp_path)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and f"no catalog for {tmp_path}" in err and "catalog.csv" in err
    assert len(err.splitlines()) == 1 and "Traceback" not in err
