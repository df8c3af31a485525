from context_helpers import DATA, offset_of, read, split_cursor

from codegpt.server.context import extract_context_at_offset

APP = read("app.py")
APP_PATH = str(DATA / "app.py")
SHAPES = read("pkg/shapes.py")
SHAPES_PATH = str(DATA / "pkg" / "shapes.py")
DECODER = read("json_decoder.py")


def members_at(marked: str, **kwargs):
    text, cursor = split_cursor(marked)
    return extract_context_at_offset(text, cursor, **kwargs).members


def test_self_members_include_attributes_from_methods():
    cursor = offset_of(DECODER, "obj, end = self.", after=True)
    members = extract_context_at_offset(DECODER, cursor).members
    assert members.receiver == "self"
    assert members.receiver_class == "JSONDecoder"
    names = [m.name for m in members.members]
    assert {"decode", "raw_decode", "object_hook", "parse_float", "scan_once", "memo"} <= set(names)
    assert names.index("__init__") < names.index("object_hook")  # methods before self.x
    assert "raw_decode" not in members.used_attributes  # the one being typed
    assert "parse_float" in members.used_attributes


def test_used_attributes_counted_by_receiver_text():
    members = members_at("conf.debug = 1\nconf.debug = 2\nconf.name = 'a'\nother.x = 1\nconf.‸")
    assert members.used_attributes == ("debug", "name")
    assert members.receiver_class is None and members.members == ()


def test_constructor_assignment_and_inheritance():
    members = members_at(
        "class Base:\n"
        "    def shared(self):\n        pass\n"
        "class Child(Base):\n"
        "    limit = 3\n"
        "    def own(self):\n        self.count = 0\n"
        "def use():\n"
        "    c = Child()\n"
        "    c.‸\n"
    )
    assert members.receiver_class == "Child"
    assert [m.name for m in members.members] == ["limit", "own", "count", "shared"]
    assert members.members[-1].qualified_name == "Base.shared"


def test_annotated_parameter_class_from_workspace():
    cursor = offset_of(APP, "return self.outer.area() - self.inner.", after=True)
    members = extract_context_at_offset(APP, cursor, document=APP_PATH, workspace_root=DATA).members
    assert members.receiver == "self.inner"
    assert members.receiver_class == "Circle"  # ``self.inner = inner`` with ``inner: Circle``
    text, cursor = split_cursor("from pkg import Circle\n\ndef f(c: Circle | None):\n    c.‸\n")
    members = extract_context_at_offset(
        text, cursor, document=APP_PATH, workspace_root=DATA
    ).members
    assert members.receiver_class == "Circle"
    names = [m.name for m in members.members]
    assert names[:4] == ["__init__", "area", "diameter", "radius"]
    assert {"describe", "name", "tags", "sides"} <= set(names)  # inherited from Shape
    assert all(m.origin == "workspace" for m in members.members)


def test_self_attribute_typed_by_constructor():
    members = members_at(
        "class Engine:\n    def start(self):\n        pass\n"
        "class Car:\n    def __init__(self):\n        self.engine = Engine()\n"
        "    def go(self):\n        self.engine.‸\n"
    )
    assert members.receiver_class == "Engine"
    assert [m.name for m in members.members] == ["start"]


def test_imported_module_receiver_lists_module_definitions():
    cursor = offset_of(APP, "limit = h.", after=True)
    members = extract_context_at_offset(APP, cursor, document=APP_PATH, workspace_root=DATA).members
    assert members.receiver_module.endswith("helpers.py")
    assert [m.name for m in members.members] == ["ONE", "clamp", "fetch_limit"]


def test_annotated_local_variable():
    members = members_at("class Point:\n    x: int\n    y: int\n\np: 'Point' = make()\np.‸")
    assert members.receiver_class == "Point"
    assert [m.name for m in members.members] == ["x", "y"]
