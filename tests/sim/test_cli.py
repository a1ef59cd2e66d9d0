"""The ipxesim command line: output, JSON, exit statuses, fetching, and bad input."""

from __future__ import annotations

import contextlib
import http.server
import json
import socket
import socketserver
import struct
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from ipxescript.cli import main as ipxescript_main
from ipxescript.sim.cli import sim_command


def ipxesim(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(sim_command, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def script(tmp_path: Path, text: str, name: str = "s.ipxe") -> str:
    path = tmp_path / name
    path.write_text("#!ipxe\n" + text)
    return str(path)


def test_console_then_outcome_line(tmp_path):
    code, out, _ = ipxesim(script(tmp_path, "echo hello\nexit 3\n"))
    assert out == "hello\n== exit 3 (Error 0x00000003)\n"
    assert code == 1  # iPXE's status is in the output; the exit status is 0, 1 or 2 (docs/cli.md)


def test_error_outcome_names_file_and_line(tmp_path):
    code, out, _ = ipxesim(script(tmp_path, "echo a\nfrobnicate\n"), "--profile", "debian-12-efi")
    assert out.splitlines() == [
        "a",
        "frobnicate: command not found",
        "== error 0x2e022081 at s.ipxe:3: Exec format error",
    ]
    assert code == 1


def test_boot_outcome(tmp_path):
    (tmp_path / "k.efi").write_bytes(b"MZ" + bytes(64))
    (tmp_path / "initrd.img").write_bytes(b"\x00" * 10)
    code, out, _ = ipxesim(script(tmp_path, "kernel k.efi quiet\ninitrd initrd.img\nboot\n"))
    assert out.splitlines()[-1] == f"== boot file://{tmp_path}/k.efi quiet (initrds: initrd.img)"
    assert code == 0


def test_json_object(tmp_path):
    code, out, _ = ipxesim(
        script(tmp_path, "set x 1\nmenu M\nitem a A\nchoose c\necho ${c}\n"),
        "--json",
        "--keys",
        "ENTER",
        "--trace",
    )
    data = json.loads(out)
    assert {
        "outcome",
        "status",
        "error",
        "console",
        "screens",
        "boot",
        "images",
        "fetches",
        "settings",
        "trace",
    } <= set(data)
    assert data["outcome"] == "exit" and data["status"] == 0 and data["error"] == ""
    assert data["console"] == "a\n"
    assert data["settings"]["x"] == {"type": "string", "value": "1"}
    assert len(data["screens"]) == 1 and len(data["screens"][0]) == 25
    assert data["trace"][0] == {"file": "s.ipxe", "line": 2, "text": "set x 1"}
    assert data["fetches"][0]["uri"].endswith("/s.ipxe")


def test_json_marks_the_selected_item_of_each_screen(tmp_path):
    path = script(tmp_path, "menu M\nitem a Alpha\nitem --gap Section\nitem b Beta\nchoose c\necho ${c}\n")
    code, out, _ = ipxesim(path, "--json", "--keys", "DOWN UP DOWN ENTER")
    data = json.loads(out)
    assert code == 0 and data["console"] == "b\n"
    assert len(data["screens"]) == 1  # the text alone never changed
    picked = [(v["selected_row"], v["rows"][v["selected_row"]].strip()) for v in data["views"]]
    assert picked == [(3, "Alpha"), (5, "Beta"), (3, "Alpha"), (5, "Beta")]


def test_missing_file(tmp_path):
    code, out, err = ipxesim(str(tmp_path / "nope.ipxe"))
    assert "nope.ipxe: no such file" in err
    assert "Traceback" not in out + err
    assert code == 2  # an input error


def test_directory_is_not_a_script(tmp_path):
    code, _, err = ipxesim(str(tmp_path))
    assert "is a directory" in err
    assert code == 2


@pytest.mark.parametrize("content", [b"echo no magic\n", b""])
def test_file_that_is_not_a_script(tmp_path, content):
    path = tmp_path / "x.bin"
    path.write_bytes(content)
    code, out, err = ipxesim(str(path))
    assert "not an iPXE script" in err
    assert out.endswith("== error 0x2e008081: Exec format error\n")
    assert code == 1


def test_binary_file_is_an_input_error_without_raw_bytes(tmp_path):
    path = tmp_path / "x.bin"
    path.write_bytes(b"\x7fELF\x00\x01binary\xff\xfe\x1b[2J")
    code, out, err = ipxesim(str(path))
    assert code == 2 and "x.bin: an ELF executable, not an iPXE script" in err
    assert "\x1b" not in out + err and "\x7f" not in out + err


def test_refused_port_is_a_connection_reset(tmp_path):
    # tcp.c: the RST answering the SYN is ECONNRESET; the firmware prints (debian-12-efi, observed)
    # `http://10.0.2.2:1/x.ipxe... Connection reset (http://ipxe.org/0f0a6095)`, never a timeout
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    code, out, err = ipxesim(f"http://127.0.0.1:{port}/x.ipxe")
    assert "x.ipxe: Connection reset (https://ipxe.org/0f0a6095)" in err
    assert out == "== error 0x0f0a6095: Connection reset\n"
    assert code == 1
    inner = script(tmp_path, f"chain http://127.0.0.1:{port}/x.ipxe || echo ${{errno}}\n")
    code, out, _ = ipxesim(inner, "--profile", "pcbios")
    assert out.splitlines()[:2] == [
        f"http://127.0.0.1:{port}/x.ipxe... Connection reset (https://ipxe.org/0f0a6039)",
        "0xf0a6039",
    ]


class _Short(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802
        self.send_response(200)
        self.send_header("Content-Length", "1000")
        self.end_headers()
        self.wfile.write(b"#!ipxe\necho cut\n")
        self.close_connection = True

    def log_message(self, *args: object) -> None:
        pass


def test_body_shorter_than_its_length_is_an_io_error(tmp_path):
    # httpcore.c: http_close_transfer_identity fails a close before Content-Length bytes with
    # EIO_CONTENT_LENGTH, which has no text of its own: strerror gives the generic one
    server = socketserver.TCPServer(("127.0.0.1", 0), _Short)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/cut.ipxe"
        code, out, _ = ipxesim(script(tmp_path, f"chain {url} || echo ${{errno}}\n"))
    finally:
        server.shutdown()
        server.server_close()
    assert out.splitlines()[:2] == [f"{url}... Input/output error (https://ipxe.org/1d0c6298)", "0x1d0c6298"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--set", "novalue"], "--set 'novalue': expected NAME=VALUE"),
        (["--set", "x:bogus=1"], "--set 'x:bogus=1'"),
        (["--map", "noequals"], "expected PREFIX=TARGET"),
        (
            ["--map", "http://srv/=/no/such/folder"],
            "--map 'http://srv/=/no/such/folder': /no/such/folder: no such directory",
        ),
        (["--keys", "NOSUCHKEY"], "unknown key name"),
    ],
)
def test_bad_options(tmp_path, args, message):
    code, _, err = ipxesim(script(tmp_path, "echo\n"), *args)
    assert message in err
    assert code == 2


def test_offline_cannot_read_the_script_url_it_is_given(tmp_path):
    # it said "== boot http://boot.example/menu.ipxe [unverified]" and exit 0: the script taken for a
    # kernel that boots, although nothing was read
    code, out, err = ipxesim("--offline", "http://boot.example/menu.ipxe")
    assert code == 2 and out == ""
    assert "http://boot.example/menu.ipxe: --offline fetches nothing" in err and "--map" in err
    (tmp_path / "menu.ipxe").write_text("#!ipxe\necho mapped\n")
    code, out, _ = ipxesim(
        "--offline", "--map", f"http://boot.example/={tmp_path}", "http://boot.example/menu.ipxe"
    )
    assert (code, out) == (0, "mapped\n== exit 0\n")


@pytest.mark.parametrize(
    "args", [["--max-steps", "0"], ["--max-steps", "-1"], ["--time-limit", "-1"], ["--max-paths", "0"]]
)
def test_limits_out_of_range_are_usage_errors(tmp_path, args):
    # '--max-steps -1' ran and said "more than -1 commands ran"; '--time-limit -1' explored 0 paths
    result = CliRunner().invoke(sim_command, [script(tmp_path, "echo\n"), "--explore", *args])
    assert result.exit_code == 2 and f"Invalid value for '{args[0]}'" in result.stderr


def test_stuck_and_loop_exit_codes(tmp_path):
    code, out, _ = ipxesim(script(tmp_path, "prompt Wait\n"))
    assert code == 1 and "== stuck at s.ipxe:2" in out
    code, out, _ = ipxesim(script(tmp_path, ":a\ngoto a\n"), "--max-steps", "50")
    assert code == 1 and "== loop at s.ipxe:3: more than 50 commands ran" in out
    code, out, _ = ipxesim(script(tmp_path, "prompt Wait\n"), "--fail-on", "error,loop")
    assert code == 0 and "== stuck" in out


def test_set_option(tmp_path):
    code, out, _ = ipxesim(script(tmp_path, "echo ${who} ${n}\n"), "--set", "who=me", "--set", "n:int32=7")
    assert out.startswith("me 7\n")


def test_offline_and_fail(tmp_path):
    text = "kernel http://srv/vmlinuz || goto fallback\nboot\n:fallback\necho fallback\n"
    code, out, _ = ipxesim(script(tmp_path, text), "--offline")
    assert out.splitlines()[-1] == "== boot http://srv/vmlinuz [unverified]"
    code, out, _ = ipxesim(
        script(tmp_path, text), "--offline", "--fail", "http://srv/*", "--profile", "debian-12-efi"
    )
    assert out.splitlines() == [
        "http://srv/vmlinuz... No such file or directory (http://ipxe.org/2d0c618e)",
        "fallback",
        "== exit 0",
    ]


def test_map_to_directory_and_url_prefix(tmp_path):
    (tmp_path / "menu.ipxe").write_text("#!ipxe\necho mapped ${cwuri}\n")
    code, out, _ = ipxesim("tftp://10.0.2.2/menu.ipxe", "--map", f"tftp://10.0.2.2/={tmp_path}")
    assert out.startswith("mapped tftp://10.0.2.2/menu.ipxe\n")
    with http_server(tmp_path) as base:
        code, out, _ = ipxesim("http://mirror/menu.ipxe", "--map", f"http://mirror/={base}/")
        assert out.startswith("mapped http://mirror/menu.ipxe\n")


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


class http_server:
    def __init__(self, root: Path) -> None:
        handler = lambda *a, **k: _Quiet(*a, directory=str(root), **k)  # noqa: E731
        self.server = socketserver.TCPServer(("127.0.0.1", 0), handler)

    def __enter__(self) -> str:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.timeout(60)
def test_http_fetching(tmp_path):
    (tmp_path / "boot.ipxe").write_text("#!ipxe\nchain next.ipxe\n")
    (tmp_path / "next.ipxe").write_text("#!ipxe\nimgfetch missing.bin ||\nkernel k.efi a=b\nboot\n")
    (tmp_path / "k.efi").write_bytes(b"MZ" + bytes(100000))
    with http_server(tmp_path) as base:
        code, out, _ = ipxesim(f"{base}/boot.ipxe", "--profile", "debian-12-efi", "--json")
    data = json.loads(out)
    assert data["console"].splitlines() == [
        "next.ipxe... ok",
        "missing.bin... No such file or directory (http://ipxe.org/2d0c618e)",
        "k.efi... ok",
    ]
    assert data["outcome"] == "boot"
    assert data["boot"]["kernel"] == f"{base}/k.efi" and data["boot"]["cmdline"] == "a=b"
    assert data["boot"]["type"] == "EFI"
    kernel = next(i for i in data["images"] if i["name"] == "k.efi")
    assert kernel["size"] == 100002  # probed: size from the header, not downloaded whole


def serve_tftp(root: Path, sock: socket.socket, stop: threading.Event) -> None:
    sock.settimeout(0.2)
    while not stop.is_set():
        try:
            packet, peer = sock.recvfrom(2048)
        except TimeoutError:
            continue
        name = packet[2:].split(b"\0")[0].decode()
        path = root / name.lstrip("/")
        if not path.is_file():
            sock.sendto(b"\0\x05\0\x01File not found\0", peer)
            continue
        data = path.read_bytes()
        block = 1
        for offset in range(0, len(data) + 1, 512):
            chunk = data[offset : offset + 512]
            sock.sendto(b"\0\x03" + struct.pack("!H", block) + chunk, peer)
            try:
                sock.recvfrom(2048)
            except TimeoutError:
                break
            block += 1
            if len(chunk) < 512:
                break


@contextlib.contextmanager
def tftp_server(root: Path, *, lose_first: bool = False) -> Iterator[int]:
    """serve_tftp on a free port for the with-block (lose_first: the first request never arrives)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        if lose_first:
            sock.recvfrom(2048)
        serve_tftp(root, sock, stop)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield sock.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        sock.close()


@pytest.mark.timeout(60)
def test_tftp_fetching(tmp_path):
    (tmp_path / "t.ipxe").write_text("#!ipxe\necho over tftp\nimgfetch nothere ||\n")
    with tftp_server(tmp_path) as port:
        code, out, _ = ipxesim(f"tftp://127.0.0.1:{port}/t.ipxe", "--profile", "debian-12-efi")
    assert out.splitlines() == [
        "over tftp",
        "nothere... No such file or directory (http://ipxe.org/2d12608e)",
        "== exit 0",
    ]


@pytest.mark.timeout(60)
def test_tftp_request_is_sent_again_when_unanswered(tmp_path):
    # tftp.c: tftp_timer_expired sends the RRQ again: a server that missed the first one (busy, starting)
    # still serves the file; ipxesim waited once for 5 s and said "Connection timed out"
    (tmp_path / "t.ipxe").write_text("#!ipxe\necho over tftp\n")
    with tftp_server(tmp_path, lose_first=True) as port:
        code, out, _ = ipxesim(f"tftp://127.0.0.1:{port}/t.ipxe")
    assert (code, out) == (0, "over tftp\n== exit 0\n")


def test_tftp_server_that_never_answers_is_tftps_timeout():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))
        code, out, err = ipxesim(f"tftp://127.0.0.1:{silent.getsockname()[1]}/t.ipxe")
    assert out == "== error 0x4c126092: Connection timed out\n"  # tftp.c's error file, not httpcore.c's


def test_explore_json(tmp_path):
    text = "menu M\nitem a A\nitem b B\nchoose --timeout 1000 x || exit 1\ngoto ${x}\n:a\nexit 0\n:b\nshell\n"
    code, out, _ = ipxesim(script(tmp_path, text), "--explore", "--json")
    data = json.loads(out)
    assert [p["inputs"] for p in data["paths"]] == [["menu=a"], ["menu=b"], ["menu=ESC"], ["menu=timeout"]]
    assert [p["outcome"] for p in data["paths"]] == ["exit", "shell", "exit", "exit"]
    assert data["paths"][2]["status"] == 1


def test_ipxescript_sim_subcommand(tmp_path):
    result = CliRunner().invoke(ipxescript_main, ["sim", script(tmp_path, "echo via group\n")])
    assert result.stdout == "via group\n== exit 0\n"


def test_stdin_script_resolves_names_in_the_current_folder(tmp_path, monkeypatch):
    (tmp_path / "next.ipxe").write_text("#!ipxe\necho chained\n")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(sim_command, ["-"], input="#!ipxe\necho first\nchain next.ipxe\n")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-3:] == ["next.ipxe... ok", "chained", "== exit 0"]


def test_explore_fails_when_a_path_fails_and_fail_on_chooses(tmp_path):
    path = script(
        tmp_path, "menu M\nitem a A\nitem b B\nchoose x || exit 1\ngoto ${x}\n:a\nexit 0\n:b\nshell\n"
    )
    code, out, _ = ipxesim(path, "--explore")
    assert code == 1 and "menu=ESC" in out  # Esc ends in `exit 1`
    code, out, _ = ipxesim(path, "--explore", "--fail-on", "loop")
    assert code == 0
    code, out, _ = ipxesim(path, "--explore", "--fail-on", "shell", "--json")
    assert code == 1 and json.loads(out)["exit_code"] == 1
    code, _, err = ipxesim(path, "--explore", "--fail-on", "nonsense")
    assert code == 2 and "nonsense" in err


def test_explore_default_passes_a_menu_the_user_returns_to_and_fails_an_endless_loop(tmp_path):
    back = script(
        tmp_path,
        ":top\nmenu M\nitem linux Linux\nitem again Again\nchoose x || exit 0\ngoto ${x}\n"
        ":again\ngoto top\n:linux\nkernel http://srv/k\nboot\n",
    )
    code, out, _ = ipxesim(back, "--explore", "--offline")
    assert code == 0, out
    assert "menu=again menu=again  back at s.ipxe:6: the menu comes back as it was shown" in out
    assert ipxesim(back, "--explore", "--offline", "--fail-on", "back")[0] == 1
    endless = script(
        tmp_path, ":top\nmenu M\nitem top A\nchoose --timeout 500 x || exit 0\ngoto top\n", "e.ipxe"
    )
    code, out, _ = ipxesim(endless, "--explore")
    assert code == 1, out
    assert "menu=top menu=timeout  loop at e.ipxe:5: the same state came back" in out


def test_choose_names_the_items_that_exist(tmp_path):
    path = script(tmp_path, "menu M\nitem a A\nitem --gap G\nitem b B\nchoose x\n")
    code, out, _ = ipxesim(path, "--choose", "c")
    assert code == 1
    assert "== error: --choose c: the menu has no item 'c' (its items: a, b)" in out


def test_quiet_version_and_json_alias(tmp_path):
    path = script(tmp_path, "echo hello\n")
    assert ipxesim(path, "-q")[1] == "== exit 0\n"
    assert ipxesim("--version")[1].startswith("ipxesim (ipxescript) ")
    assert json.loads(ipxesim(path, "--json")[1]) == json.loads(ipxesim(path, "--format", "json")[1])


def test_keys_and_choices_the_run_never_asked_for_are_named(tmp_path):
    # a scripted path that no longer fits the script (a menu removed, one prompt fewer) passed silently
    path = script(tmp_path, "menu M\nitem a A\nitem b B\nchoose x\necho chose ${x}\n")
    code, out, err = ipxesim(path, "--keys", "DOWN ENTER ENTER text:hi ESC")
    assert (code, out) == (0, "chose b\n== exit 0\n")
    assert err == "ipxesim: --keys: 4 key(s) not used, the run ended first: ENTER text:hi ESC\n"
    code, out, err = ipxesim(path, "--choose", "b", "--choose", "a")
    assert (code, out) == (0, "chose b\n== exit 0\n")
    assert err == "ipxesim: --choose a: not used, no menu asked for it before the run ended\n"
    assert json.loads(ipxesim(path, "--choose", "a", "--choose", "b", "--json")[1])["notes"] == [
        "--choose b: not used, no menu asked for it before the run ended"
    ]
    assert ipxesim(path, "--keys", "ENTER")[2] == ""


class _Moved(_Quiet):
    def do_GET(self) -> None:  # noqa: N802
        if self.path == "/go":
            self.send_response(302)
            self.send_header("Location", "/d/r.ipxe")
            self.end_headers()
            return
        super().do_GET()


def test_a_redirected_script_runs_from_where_it_was_sent(tmp_path):
    # downloader.c: downloader_vredirect sets the image's URI to the redirect's target, so ${cwuri} and
    # relative names are resolved there (ipxesim chained the top folder's next.ipxe)
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "r.ipxe").write_text("#!ipxe\necho at ${cwuri}\nchain next.ipxe\n")
    (tmp_path / "d" / "next.ipxe").write_text("#!ipxe\necho next in d\n")
    (tmp_path / "next.ipxe").write_text("#!ipxe\necho next at the top\n")
    handler = lambda *a, **k: _Moved(*a, directory=str(tmp_path), **k)  # noqa: E731
    server = socketserver.TCPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        code, out, _ = ipxesim(script(tmp_path, f"chain {base}/go\n", name="s.ipxe"))
        mapped = ipxesim("http://boot.example/go", "--map", f"http://boot.example/={base}/")[1]
    finally:
        server.shutdown()
        server.server_close()
    assert out.splitlines() == [
        f"{base}/go... ok",  # the line names what was asked for
        f"at {base}/d/r.ipxe",
        "next.ipxe... ok",
        "next in d",
        "== exit 0",
    ]
    assert mapped.splitlines()[:2] == ["at http://boot.example/d/r.ipxe", "next.ipxe... ok"]
