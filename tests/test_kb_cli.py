"""`python -m bot kb …` end to end on a temporary database."""

import pytest
from click.testing import CliRunner

from bot.cli import cli
from bot.knowledge.files import dump_entry, write_directory
from bot.knowledge.store import KnowledgeBase
from tests.conftest import ROOT
from tests.kb_helpers import entry


@pytest.fixture()
def db(tmp_path):
    return tmp_path / "kb.db"


def kb_cmd(db, *args, input=None, env=None):
    result = CliRunner().invoke(
        cli, ["kb", *args, "--db", str(db)], input=input, catch_exceptions=False, env=env
    )
    assert "Traceback" not in result.output
    return result


def test_import_real_knowledge_then_search(db):
    result = kb_cmd(db, "import", str(ROOT / "knowledge"), "--by", "lin")
    assert result.exit_code == 0, result.output
    assert "added" in result.output
    again = kb_cmd(db, "import", str(ROOT / "knowledge"), "--by", "lin")
    assert "0 added, 0 updated" in again.output
    hits = kb_cmd(db, "search", "代理退保").output.splitlines()
    assert hits[0].startswith("proxy-surrender")
    hits = kb_cmd(db, "search", "保單貸款").output.splitlines()
    assert "alternatives-policy-loan" in " ".join(hits[:3])


def test_import_error_names_file_and_field(db, tmp_path):
    folder = tmp_path / "k"
    write_directory([entry("ok")], folder)
    (folder / "surrender" / "broken.yml").write_text(
        dump_entry(entry("broken")).replace("category: surrender", "category: xx"), encoding="utf-8"
    )
    result = kb_cmd(db, "import", str(folder))
    assert result.exit_code == 1
    assert "broken.yml" in result.output and "'category'" in result.output
    assert KnowledgeBase.open(db).count() == 0


def test_add_edit_publish_history_rollback_show(db, tmp_path):
    draft = tmp_path / "new-entry.yml"
    draft.write_text(dump_entry(entry("new-entry", status="draft")), encoding="utf-8")
    assert kb_cmd(db, "add", str(draft), "--by", "lin").exit_code == 0
    assert "No matching" in kb_cmd(db, "search", "现金价值").output  # a draft is invisible

    changed = tmp_path / "changed.yml"
    changed.write_text(
        dump_entry(entry("new-entry", status="draft", answer="修改后的答案。")), encoding="utf-8"
    )
    assert (
        "version 2"
        in kb_cmd(db, "edit", "new-entry", "--file", str(changed), "--by", "wang").output
    )
    refused = kb_cmd(db, "publish", "new-entry", "--by", "lin")  # lin wrote version 1
    assert refused.exit_code == 1 and "lin wrote the change and cannot approve it" in refused.output
    assert "No matching" in kb_cmd(db, "search", "现金价值").output
    assert "published" in kb_cmd(db, "publish", "new-entry", "--by", "zhou").output
    assert "new-entry" in kb_cmd(db, "search", "现金价值").output

    history = kb_cmd(db, "history", "new-entry").output.splitlines()
    assert [line.split()[0] for line in history] == ["v1", "v2", "v3"]
    assert "wang" in history[1]

    restored = kb_cmd(db, "rollback", "new-entry", "1").output
    assert "version 1 restored as version 4 (a draft: users get version 3" in restored
    assert "修改后" not in kb_cmd(db, "show", "new-entry").output
    assert "修改后" in KnowledgeBase.open(db).get("new-entry").answer  # live until published
    assert "修改后的答案" in kb_cmd(db, "show", "new-entry", "--version", "2").output
    assert "archived" in kb_cmd(db, "archive", "new-entry").output

    actors = [a["actor"] for a in KnowledgeBase.open(db).audit("new-entry")]
    assert actors[:3] == ["lin", "wang", "zhou"]


def test_edit_in_editor_saves_a_draft_until_published(db, monkeypatch, tmp_path):
    kb_cmd(db, "import", str(ROOT / "knowledge"))
    monkeypatch.setattr("click.edit", lambda text, **_: text.replace("answer: ", "answer: 新：", 1))
    result = kb_cmd(db, "edit", "alternatives-policy-loan", "--by", "zhao")
    assert "version 2 (a draft: users get version 1 until kb publish)" in result.output
    kb = KnowledgeBase.open(db)
    assert not kb.get("alternatives-policy-loan").answer.startswith("新：")
    assert kb.latest("alternatives-policy-loan").status == "draft"
    env = {"KB_REQUIRE_APPROVAL": "off"}  # one person may publish their own change then
    assert kb_cmd(db, "publish", "alternatives-policy-loan", "--by", "zhao", env=env).exit_code == 0
    assert KnowledgeBase.open(db).get("alternatives-policy-loan").answer.startswith("新：")


@pytest.mark.parametrize(
    "args",
    [["show", "nope"], ["publish", "nope"], ["history", "nope"], ["rollback", "nope", "1"]],
)
def test_unknown_ids_are_clear_errors(db, args):
    result = kb_cmd(db, *args)
    assert result.exit_code == 1
    assert "nope" in result.output


def test_build_never_overwrites(db):
    first = kb_cmd(db, "build")
    assert "built" in first.output
    kb = KnowledgeBase.open(db)
    kb.archive("alternatives-policy-loan", by="staff")
    second = kb_cmd(db, "build")
    assert "left as is" in second.output
    assert KnowledgeBase.open(db).get("alternatives-policy-loan").status == "archived"


def test_export_round_trip(db, tmp_path):
    kb_cmd(db, "import", str(ROOT / "knowledge"))
    kb_cmd(db, "export", str(tmp_path / "out"))
    result = kb_cmd(db, "import", str(tmp_path / "out"))
    assert "0 added, 0 updated" in result.output


def test_bench_writes_its_section_of_the_report(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)  # the knowledge/ folder of the checkout
    out = tmp_path / "benchmarks.md"
    out.write_text("# Benchmarks\n\n<!-- begin kb -->\nold\n<!-- end kb -->\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["kb", "bench", "--count", "20", "--out", str(out)])
    assert result.exit_code == 0, result.output
    report = out.read_text(encoding="utf-8")
    entries = len(list((ROOT / "knowledge").rglob("*.yml"))) + 20  # the checkout's and 20 more
    assert "old" not in report and f"| search p50 / p95, {entries} entries |" in report
