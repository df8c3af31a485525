"""A method that returns None is tested on what it changed: ``instance.items == [...]``."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

from testgen_helpers import generated_tests

from codegpt.server.testgen.analysis import analyze_source
from codegpt.server.testgen.generate import TestGenOptions, generate_tests
from codegpt.server.testgen.mutation import detects
from codegpt.server.testgen.proposals import Proposal
from codegpt.server.testgen.round_trips import may_write_files
from codegpt.server.testgen.runner_child import public_state
from codegpt.server.testgen.sandbox import CallOutcome
from codegpt.server.testgen.selection import Observation, pin_kept_state

DATA = Path(__file__).parent / "data" / "testgen"

COUNTER = '''\
class Counter:
    """Counts, and keeps a private tally of calls."""

    def __init__(self, start: int = 0) -> None:
        self.count = start
        self.label = "counter"
        self._calls = 0

    def bump(self, by: int) -> None:
        self.count += by
        self._calls += 1


class Big:
    def __init__(self) -> None:
        self.items = list(range(1000))
        self.count = 0

    def push(self, item: int) -> None:
        self.items.append(item)
        self.count += 1


class Hidden:
    """Keeps its items private; shows them through a property and len()."""

    def __init__(self) -> None:
        self._items: list[int] = []

    @property
    def top(self) -> int | None:
        return self._items[-1] if self._items else None

    def __len__(self) -> int:
        return len(self._items)

    def push(self, item: int) -> None:
        self._items.append(item)


class Slotted:
    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = 0

    def set(self, value: int) -> None:
        self.value = value
'''


def test_a_mutator_pins_the_attributes_it_changed(tmp_path):
    shutil.copy(DATA / "inventory.py", tmp_path / "inventory.py")
    result = generate_tests(tmp_path / "inventory.py", "Inventory.add", TestGenOptions())
    tests = generated_tests(result.text)
    updates = [body for name, body in tests.items() if "_updates_items" in name]
    assert updates, result.text
    # The item is stored under its name: the test says so (it asserted only ``is None`` before).
    assert any("assert instance.items == {'abc': Item(" in body for body in updates)


def test_only_public_attributes_that_changed_are_pinned(tmp_path):
    (tmp_path / "counter.py").write_text(COUNTER)
    result = generate_tests(tmp_path / "counter.py", "Counter.bump", TestGenOptions())
    bodies = "\n".join(generated_tests(result.text).values())
    assert "assert instance.count == " in bodies
    assert "_calls" not in bodies and "instance.label" not in bodies  # private; unchanged


def test_a_receiver_without_a_dict_is_tested_on_its_result(tmp_path):
    (tmp_path / "counter.py").write_text(COUNTER)
    result = generate_tests(tmp_path / "counter.py", "Slotted.set", TestGenOptions())
    assert result.functions[0].tests_kept and "instance.value" not in result.text


def _returned(state: tuple) -> CallOutcome:
    return CallOutcome(
        id=0, status="returned", value={"kind": "exact", "source": "None"}, state=state
    )


def test_a_mutant_that_forgets_the_change_is_caught():
    stored = {"kind": "exact", "source": "{'abc': 1}"}
    empty = {"kind": "exact", "source": "{}"}
    original = _returned((("items", stored, True),))
    assert detects(original, _returned((("items", empty, False),)))
    assert not detects(original, _returned((("items", stored, True),)))
    assert not detects(original, _returned(()))  # no source for it on the mutant: no credit
    unchanged = _returned((("items", stored, False),))  # the test pins nothing then
    assert not detects(unchanged, _returned((("items", empty, False),)))


WRITER = """\
import os
from pathlib import Path


def save(path: Path, text: str) -> int:
    return path.write_text(text)


def make_system_folder() -> None:
    os.mkdir("/proc/codegpt-never")
"""


def test_a_function_that_writes_files_is_tested_in_tmp_path(tmp_path):
    (tmp_path / "writer.py").write_text(WRITER)
    result = generate_tests(tmp_path / "writer.py", "save", TestGenOptions())
    assert result.functions[0].tests_kept
    tests = generated_tests(result.text)
    for name, body in tests.items():
        # Run by the user, the test writes into pytest's temporary folder, not their project.
        assert f"def {name}(tmp_path, monkeypatch):\n    monkeypatch.chdir(tmp_path)\n" in body
    # What it wrote is checked, not only its return value.
    assert any(
        re.search(r"assert Path\('[^']+'\)\.read_text\(\) == '[^']+'", body)
        for body in tests.values()
    ), result.text


def test_a_function_that_writes_outside_its_folder_gets_no_test(tmp_path):
    (tmp_path / "writer.py").write_text(WRITER)
    result = generate_tests(tmp_path / "writer.py", "make_system_folder", TestGenOptions())
    (report,) = result.functions
    assert report.tests_kept == 0 and "outside its working directory" in (report.skipped or "")


def test_a_mutant_that_writes_another_text_or_nothing_is_caught():
    def wrote(files: tuple) -> CallOutcome:
        return CallOutcome(
            id=0, status="returned", value={"kind": "exact", "source": "None"}, files=files
        )

    original = wrote((("out.txt", "a,b\n"),))
    assert detects(original, wrote((("out.txt", "a;b\n"),)))
    assert detects(original, wrote(()))  # the test's fresh folder has no such file
    assert not detects(original, wrote((("out.txt", "a,b\n"),)))
    assert not detects(wrote((("big.bin", None),)), wrote((("big.bin", None),)))


STORE = """\
import json
from pathlib import Path


def load(path: Path) -> dict:
    data = json.loads(path.read_text())
    if "version" not in data:
        raise ValueError("no version")
    return data


def save(path: Path, count: int) -> None:
    path.write_text(json.dumps({"version": 1, "count": count}))
"""


def test_a_reader_is_tested_on_what_a_writer_of_the_module_wrote(tmp_path):
    (tmp_path / "store.py").write_text(STORE)
    result = generate_tests(tmp_path / "store.py", None, TestGenOptions())
    reports = {r.qualname: r for r in result.functions}
    # Alone, load only ever met a missing file (1 of 4 lines); its "no version" raise needs a
    # file no writer here writes: an input file written as it parses (``{}``) reaches it.
    assert reports["load"].coverage is not None and reports["load"].coverage.lines == 1.0
    round_trips = [
        body
        for name, body in generated_tests(result.text).items()
        if name.startswith("test_load_") and "_after_save_" in name
    ]
    assert round_trips, result.text
    assert any(
        "    save(pathlib.Path('archive.tar.gz'), " in body
        and "assert load(pathlib.Path('archive.tar.gz')) == {'version': 1, 'count': " in body
        for body in round_trips
    ), round_trips


def test_one_reader_alone_finds_a_writer_in_its_module(tmp_path):
    """``codegpt tests store.py --function load`` (the editor's case) runs save's calls itself."""
    (tmp_path / "store.py").write_text(STORE)
    result = generate_tests(tmp_path / "store.py", "load", TestGenOptions())
    (report,) = result.functions
    assert report.coverage is not None and report.coverage.lines == 1.0
    assert "    save(pathlib.Path('archive.tar.gz'), " in result.text
    assert not any(name.startswith("test_save") for name in generated_tests(result.text))


def test_what_may_write_files():
    source = STORE + (
        "def log(line: str) -> None:\n    with open('log.txt', 'a') as f:\n        f.write(line)\n"
        "def read(name: str) -> str:\n    with open(name) as f:\n        return f.read()\n"
        "def new(path):\n    with path.open(mode='x') as f:\n        pass\n"
        "def peek(path):\n    with path.open('r') as f:\n        return f.readline()\n"
    )
    analysis = analyze_source(source)
    found = {t.name: may_write_files(t) for t in analysis.functions}
    expected = {"load": False, "save": True, "log": True, "read": False, "new": True, "peek": False}
    assert found == expected


def test_a_big_container_attribute_is_not_rendered():
    """Rendered before and after every call, a 1,000-item list would cost each call dearly."""
    namespace: dict = {}
    exec(COUNTER, namespace)  # noqa: S102 - our own fixture
    state = public_state(namespace["Big"](), "counter", namespace)
    assert set(state) == {"count"}
    assert set(public_state(namespace["Counter"](), "counter", namespace)) == {"count", "label"}


def test_private_state_is_read_through_properties_and_len(tmp_path):
    (tmp_path / "counter.py").write_text(COUNTER)
    result = generate_tests(tmp_path / "counter.py", "Hidden.push", TestGenOptions())
    bodies = "\n".join(generated_tests(result.text).values())
    assert "assert len(instance) == 1" in bodies
    assert re.search(r"assert instance\.top == -?\d+", bodies), bodies
    assert "_items" not in bodies


WRITE_CHECK = """
import os, shutil, sys, tempfile
sys.path.insert(0, sys.argv[1])
import runner_child as rc
os.chdir(tempfile.mkdtemp(dir=sys.argv[2]))
rc.TEMP_FOLDER[0] = sys.argv[3]
with open("src.txt", "w") as handle:
    handle.write("x")
sys.addaudithook(rc.watch_writes)
seen = []
for step in (
    lambda: shutil.copyfile("src.txt", os.path.join(sys.argv[2], "copied.txt")),
    lambda: shutil.copyfile(os.path.join(sys.argv[2], "copied.txt"), "here.txt"),
    lambda: os.rename("here.txt", "there.txt"),
    lambda: open("there.txt").read(),
    lambda: open(os.path.join(sys.argv[3], "scratch.txt"), "w").close(),
):
    rc.WRITES.clear()
    rc.WATCHING_WRITES[0] = True
    step()
    rc.WATCHING_WRITES[0] = False
    seen.append(sorted(rc.WRITES))
print(seen)
"""


def test_where_a_call_writes(tmp_path):
    """A copy writes its target, not its source; reading writes nothing; the temp folder is
    allowed. In a child process: an audit hook cannot be removed once added."""
    outside, temp = tmp_path / "outside", tmp_path / "temp"
    outside.mkdir()
    temp.mkdir()
    child = Path(__file__).resolve().parents[1] / "server" / "testgen"
    run = subprocess.run(
        [sys.executable, "-c", WRITE_CHECK, str(child), str(outside), str(temp)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[['outside'], ['cwd'], ['cwd'], [], []]"


TAGGED = """\
class Post:
    def __init__(self, title: str) -> None:
        self.title = title
        self.tags: list[str] = []

    def add_tag(self, tag: str) -> None:
        tag = tag.strip().lower()
        if tag and tag not in self.tags:
            self.tags.append(tag)
"""


def test_a_call_that_changes_nothing_pins_what_the_method_changes_elsewhere(tmp_path):
    (tmp_path / "posts.py").write_text(TAGGED)
    result = generate_tests(tmp_path / "posts.py", "Post.add_tag", TestGenOptions())
    tests = generated_tests(result.text)
    kept = [body for name, body in tests.items() if "_keeps_tags" in name]
    # The tag is already there: the test asserts it is not added twice (and the title is not
    # pinned: no call of add_tag changes it).
    assert any("instance.add_tag('abc')\n" in b and "instance.tags == ['abc']" in b for b in kept)
    assert not any("instance.title ==" in body for body in tests.values()), result.text


def test_a_mutant_that_adds_twice_is_caught_by_the_kept_state():
    state = (("tags", {"kind": "exact", "source": "['abc']"}, False),)
    twice = (("tags", {"kind": "exact", "source": "['abc', 'abc']"}, True),)
    returned = {"kind": "exact", "source": "None"}
    calls = [
        Observation(0, Proposal(("'abc'",)), CallOutcome(0, "returned", returned, state=state)),
        Observation(1, Proposal(("'x'",)), CallOutcome(1, "returned", returned, state=twice)),
    ]
    marked = pin_kept_state(calls)
    assert marked[0].outcome.kept == ("tags",) and marked[1].outcome.kept == ()
    mutant = CallOutcome(0, "returned", returned, state=twice)
    assert detects(marked[0].outcome, mutant)
    assert not detects(calls[0].outcome, mutant)  # unmarked, nothing was pinned


TODO = """\
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path


@dataclass
class Task:
    title: str
    done: bool = False


@dataclass
class TodoList:
    tasks: list[Task] = field(default_factory=list)

    def save(self, path: Path) -> None:
        path.write_text(json.dumps([asdict(task) for task in self.tasks]))

    @classmethod
    def load(cls, path: Path) -> "TodoList":
        return cls([Task(**item) for item in json.loads(path.read_text())])
"""


def test_a_method_that_writes_is_the_round_trips_writer(tmp_path):
    """``TodoList(...).save(path)`` then ``TodoList.load(path)``: a method writes, in place."""
    (tmp_path / "todo.py").write_text(TODO)
    for function in (None, "TodoList.load"):
        result = generate_tests(tmp_path / "todo.py", function, TestGenOptions())
        trips = [
            b for n, b in generated_tests(result.text).items() if "_load_of_path_after_save_" in n
        ]
        assert any(
            "    TodoList([Task('abc')]).save(pathlib.Path('archive.tar.gz'))\n" in body
            and "TodoList.load(pathlib.Path('archive.tar.gz')) == TodoList(tasks=[Task(" in body
            for body in trips
        ), result.text
