from context_helpers import read

from codegpt.server.context_imports import ImportedName, module_imports
from codegpt.server.parsing import parse


def imports_of(text: str):
    return module_imports(text, parse(text))


def test_all_import_forms():
    text = (
        "from __future__ import annotations\n"
        "import os\n"
        "import a.b as c, d\n"
        "from ..x.y import (p as q,\n    r)\n"
        "from . import z\n"
        "from m import *\n"
        "try:\n"
        "    import ujson as json\n"
        "except ImportError:\n"
        "    import json\n"
        "def f():\n"
        "    from .local import thing\n"
    )
    statements = imports_of(text)
    assert [s.text.split("\n")[0] for s in statements] == [
        "from __future__ import annotations",
        "import os",
        "import a.b as c, d",
        "from ..x.y import (p as q,",
        "from . import z",
        "from m import *",
        "import ujson as json",
        "import json",
    ]  # the import local to ``f`` is not the module's
    names = [name for s in statements for name in s.names]
    assert names[0] == ImportedName("__future__", "annotations", None, 0)
    assert names[2] == ImportedName("a.b", None, "c", 0)
    assert names[2].bound_name == "c" and names[2].bound_module == "a.b"
    assert names[3] == ImportedName("d", None, None, 0)
    assert names[4] == ImportedName("x.y", "p", "q", 2)
    assert names[5] == ImportedName("x.y", "r", None, 2)
    assert names[6] == ImportedName("", "z", None, 1)
    assert names[7].name == "*"
    assert statements[3].line == 3 and statements[4].line == 5
    assert all(s.top_level for s in statements)


def test_dotted_import_binds_first_component():
    (statement,) = imports_of("import os.path\n")
    (name,) = statement.names
    assert name.bound_name == "os" and name.bound_module == "os"


def test_real_module_imports():
    statements = imports_of(read("json_decoder.py"))
    assert [s.text for s in statements] == [
        "import re",
        "from json import scanner",
        "from _json import scanstring as c_scanstring",
    ]
    assert statements[2].names == (ImportedName("_json", "scanstring", "c_scanstring", 0),)


def test_broken_file_keeps_earlier_imports():
    statements = imports_of("import os\nfrom pkg import (a,\n\ndef f(:\n")
    assert statements[0].text == "import os"


def test_no_imports():
    assert imports_of("") == ()
