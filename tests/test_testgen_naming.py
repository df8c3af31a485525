from codegpt.server.testgen.naming import describe_source, snake, unique_names


def test_snake_case_of_exception_names():
    assert snake("ValueError") == "value_error"
    assert snake("HTTPServerError") == "http_server_error"


def test_describe_sources():
    assert describe_source("7") == "7"
    assert describe_source("-1") == "minus_1"
    assert describe_source("[]") == "empty_list"
    assert describe_source("''") == "empty_string"
    assert describe_source("'abc'") == "abc"
    assert describe_source("'Hello, World'") == "hello_world"
    assert describe_source("'123'") == "123"
    assert describe_source("'a-b c'") == "a_b_c"
    assert describe_source("'one two three four'") == "string"  # too many words to read
    assert describe_source("'!?'") == "string"
    assert describe_source("'x' * 30") == "value"
    assert describe_source("[1, 2, 3]") == "3_item_list"
    assert describe_source("Point(1, 2)") == "point"
    assert describe_source("1000000000") == "large_number"
    assert describe_source("1.4142135623730951") == "about_1_41"
    assert describe_source("-2.718281828") == "about_minus_2_72"
    assert describe_source("0.000123456") == "small_number"
    assert describe_source("[Point(1, 2)]") == "one_point"
    assert describe_source("[Point(1, 2), Point(0, 0)]") == "2_points"
    assert describe_source("[Point(1, 2), Line(0, 0)]") == "value"


def test_unique_names_are_deterministic():
    assert unique_names(["t", "t", "u"], taken={"u"}) == ["t", "t_2", "u_2"]
