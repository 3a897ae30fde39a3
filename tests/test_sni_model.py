"""The StatusNotifierItem backend's pure parts: the dbusmenu model, pixmaps, what each change
signals, and the item's properties. Headless; the bus itself is in test_sni_backend.py."""

from __future__ import annotations

from typing import Any

import pytest
from PIL import Image

from trayapp.tray.backends.pystray_compat import import_pystray
from trayapp.tray.backends.sni.bus import DBusError
from trayapp.tray.backends.sni.interfaces import (
    DBusMenuInterface,
    ItemLook,
    StatusNotifierItem,
    changed_signals,
    tooltip_markup,
)
from trayapp.tray.backends.sni.menu import (
    DBusMenu,
    LayoutChanged,
    PropertiesChanged,
    item_properties,
    label,
)
from trayapp.tray.backends.sni.pixmaps import SIZES, argb32, pixmaps

pystray = import_pystray()
SEPARATOR = pystray.Menu.SEPARATOR


def item(text: str, action: Any = None, **kwargs: Any) -> Any:
    return pystray.MenuItem(text, action or (lambda: None), **kwargs)


def info(text: str) -> Any:
    return pystray.MenuItem(text, None, enabled=False)


def tray_menu(
    total: str = "$10.00", *, checked: bool = True, extra: list[Any] | None = None
) -> Any:
    return pystray.Menu(
        info(f"Total: {total}"),
        *(extra or []),
        SEPARATOR,
        item("Refresh now", default=True),
        item("Start at login", checked=lambda _item: checked),
        SEPARATOR,
        item("Quit"),
    )


def model(menu: Any) -> tuple[DBusMenu, Any]:
    dbusmenu = DBusMenu(separator=SEPARATOR)
    change = dbusmenu.set_menu(menu.items)
    return dbusmenu, change


def labels(dbusmenu: DBusMenu) -> list[tuple[int, str]]:
    _, (_, _, children) = dbusmenu.layout(0, -1, []) or (0, (0, {}, []))
    return [(c[1][0], c[1][1].get("label", ("s", "-"))[1]) for c in children]


# --- items --------------------------------------------------------------------------------------


def test_underscores_are_doubled_so_they_are_not_mnemonics() -> None:
    assert label("my_project_1") == "my__project__1"
    assert item_properties(info("a_b"), separator=SEPARATOR)["label"] == ("s", "a__b")


def test_an_information_line_is_a_disabled_item() -> None:
    assert item_properties(info("Total: $5"), separator=SEPARATOR) == {
        "label": ("s", "Total: $5"),
        "enabled": ("b", False),
        "visible": ("b", True),
    }


def test_a_separator_is_typed_as_one() -> None:
    assert item_properties(SEPARATOR, separator=SEPARATOR) == {
        "type": ("s", "separator"),
        "visible": ("b", True),
    }


@pytest.mark.parametrize(("checked", "state"), [(True, 1), (False, 0)])
def test_a_check_box_says_its_state(checked: bool, state: int) -> None:
    properties = item_properties(item("x", checked=lambda _i: checked), separator=SEPARATOR)
    assert properties["toggle-type"] == ("s", "checkmark")
    assert properties["toggle-state"] == ("i", state)
    assert properties["enabled"] == ("b", True)


def test_a_radio_item_and_a_submenu() -> None:
    radio = item_properties(item("r", checked=lambda _i: True, radio=True), separator=SEPARATOR)
    assert radio["toggle-type"] == ("s", "radio")
    parent = pystray.MenuItem("More", pystray.Menu(item("a")))
    assert item_properties(parent, separator=SEPARATOR)["children-display"] == ("s", "submenu")
    assert "toggle-type" not in item_properties(item("plain"), separator=SEPARATOR)


# --- layout and revisions -----------------------------------------------------------------------


def test_the_first_menu_is_a_new_layout_numbered_in_order() -> None:
    dbusmenu, change = model(tray_menu())
    assert change == LayoutChanged(revision=2, parent=0)
    assert labels(dbusmenu) == [
        (1, "Total: $10.00"),
        (2, "-"),
        (3, "Refresh now"),
        (4, "Start at login"),
        (5, "-"),
        (6, "Quit"),
    ]
    revision, (root_id, root_properties, _) = dbusmenu.layout(0, -1, []) or (0, (0, {}, []))
    assert (revision, root_id) == (2, 0)
    assert root_properties == {"children-display": ("s", "submenu")}


def test_new_amounts_keep_the_ids_and_send_only_what_changed() -> None:
    dbusmenu, _ = model(tray_menu("$10.00"))
    change = dbusmenu.set_menu(tray_menu("$9.50", checked=False).items)
    assert change == PropertiesChanged(
        updated=[(1, {"label": ("s", "Total: $9.50")}), (4, {"toggle-state": ("i", 0)})]
    )
    assert dbusmenu.revision == 2  # hosts keep their layout
    assert labels(dbusmenu)[0] == (1, "Total: $9.50")


def test_the_same_menu_again_needs_no_signal() -> None:
    dbusmenu, _ = model(tray_menu())
    assert dbusmenu.set_menu(tray_menu().items) is None


def test_a_check_box_that_becomes_a_radio_item_changes_the_layout() -> None:
    dbusmenu, _ = model(pystray.Menu(item("x", checked=lambda _i: True)))
    change = dbusmenu.set_menu(pystray.Menu(item("x", checked=lambda _i: True, radio=True)).items)
    assert change == LayoutChanged(revision=3, parent=0)


def test_another_shape_is_a_new_revision_with_new_ids() -> None:
    dbusmenu, _ = model(tray_menu())
    old_refresh = dbusmenu.item(3)
    change = dbusmenu.set_menu(tray_menu(extra=[info("    Project A: $10.00")]).items)
    assert change == LayoutChanged(revision=3, parent=0)
    new_ids = [node_id for node_id, _ in labels(dbusmenu)]
    assert new_ids == list(range(7, 14))  # none reused: an old id cannot hit a new item
    # A click on the menu the host drew just before still finds its item; older ones do not.
    assert dbusmenu.item(3) is old_refresh
    assert dbusmenu.node(3) is None
    dbusmenu.set_menu(tray_menu().items)
    assert dbusmenu.item(3) is None
    assert dbusmenu.item(9) is not None


def test_a_relabel_forgets_the_generation_before() -> None:
    dbusmenu, _ = model(tray_menu())
    dbusmenu.set_menu(tray_menu(extra=[info("p")]).items)  # ids 7..13; 1..6 kept one round
    dbusmenu.set_menu(tray_menu(extra=[info("q")]).items)  # same shape: relabelled
    assert dbusmenu.item(1) is None
    assert dbusmenu.item(9) is not None


def test_submenus_are_numbered_depth_first_and_layout_depth_is_honoured() -> None:
    menu = pystray.Menu(pystray.MenuItem("More", pystray.Menu(item("a"), item("b"))), item("c"))
    dbusmenu, _ = model(menu)
    _, (_, _, children) = dbusmenu.layout(0, -1, []) or (0, (0, {}, []))
    more = children[0][1]
    assert [more[0], *[c[1][0] for c in more[2]], children[1][1][0]] == [1, 2, 3, 4]
    _, (_, _, shallow) = dbusmenu.layout(0, 1, []) or (0, (0, {}, []))
    assert shallow[0][1][2] == []  # one level: More's children are not sent
    _, (_, _, none) = dbusmenu.layout(0, 0, []) or (0, (0, {}, []))
    assert none == []
    _, (sub_id, _, sub_children) = dbusmenu.layout(1, -1, []) or (0, (0, {}, []))
    assert (sub_id, len(sub_children)) == (1, 2)
    assert dbusmenu.layout(99, -1, []) is None


def test_a_separator_that_becomes_an_item_changes_the_layout() -> None:
    dbusmenu, _ = model(pystray.Menu(item("a"), SEPARATOR, item("b")))
    change = dbusmenu.set_menu(pystray.Menu(item("a"), item("c"), item("b")).items)
    assert isinstance(change, LayoutChanged)


def test_a_submenu_relabelled_keeps_its_ids_and_its_items_can_be_clicked() -> None:
    clicked: list[str] = []

    def menu(inner: str) -> Any:
        inner_item = item(inner, lambda: clicked.append(inner))
        return pystray.Menu(pystray.MenuItem("More", pystray.Menu(inner_item)), item("c"))

    dbusmenu, _ = model(menu("a"))
    change = dbusmenu.set_menu(menu("b").items)
    assert change == PropertiesChanged(updated=[(2, {"label": ("s", "b")})])
    node = dbusmenu.node(2)
    assert node is not None and node.properties["label"] == ("s", "b")
    dbusmenu.item(2)(None)
    assert clicked == ["b"]


def test_a_submenu_that_changes_size_changes_the_layout() -> None:
    dbusmenu, _ = model(pystray.Menu(pystray.MenuItem("More", pystray.Menu(item("a")))))
    change = dbusmenu.set_menu(
        pystray.Menu(pystray.MenuItem("More", pystray.Menu(item("a"), item("b")))).items
    )
    assert isinstance(change, LayoutChanged)


def test_properties_are_filtered_by_name() -> None:
    dbusmenu, _ = model(tray_menu())
    _, (_, _, children) = dbusmenu.layout(0, -1, ["label"]) or (0, (0, {}, []))
    assert children[0][1][1] == {"label": ("s", "Total: $10.00")}
    assert dbusmenu.group_properties([1, 6, 42], ["enabled"]) == [
        (1, {"enabled": ("b", False)}),
        (6, {"enabled": ("b", True)}),
    ]
    every = dbusmenu.group_properties([], [])
    assert [node_id for node_id, _ in every] == [0, 1, 2, 3, 4, 5, 6]


# --- the menu interface's calls -----------------------------------------------------------------


def menu_methods(menu: Any, clicked: list[Any]) -> dict[str, Any]:
    dbusmenu, _ = model(menu)
    return {
        name: m.handler for name, m in DBusMenuInterface(dbusmenu, clicked.append).methods().items()
    }


def test_clicked_runs_the_item_and_other_events_do_nothing() -> None:
    clicked: list[Any] = []
    menu = tray_menu()
    methods = menu_methods(menu, clicked)
    methods["Event"](3, "hovered", ("i", 0), 0)
    assert clicked == []
    methods["Event"](3, "clicked", ("i", 0), 0)
    assert [str(i.text) for i in clicked] == ["Refresh now"]
    with pytest.raises(DBusError, match="No menu item 77"):
        methods["Event"](77, "clicked", ("i", 0), 0)


def test_event_group_reports_unknown_ids_and_runs_the_rest() -> None:
    clicked: list[Any] = []
    methods = menu_methods(tray_menu(), clicked)
    errors = methods["EventGroup"]([(6, "clicked", ("i", 0), 0), (40, "clicked", ("i", 0), 0)])
    assert errors == ([40],)
    assert [str(i.text) for i in clicked] == ["Quit"]


def test_events_on_the_root_are_not_errors() -> None:
    """Hosts send "opened" and "closed" for the root menu (id 0), which has no item."""
    clicked: list[Any] = []
    methods = menu_methods(tray_menu(), clicked)
    assert methods["Event"](0, "opened", ("i", 0), 0) == ()
    errors = methods["EventGroup"]([(0, "opened", ("i", 0), 0), (3, "clicked", ("i", 0), 0)])
    assert errors == ([],)
    assert [str(i.text) for i in clicked] == ["Refresh now"]


def test_the_menu_says_its_protocol_version() -> None:
    dbusmenu, _ = model(tray_menu())
    assert DBusMenuInterface(dbusmenu, lambda item: None).properties() == {
        "Version": ("u", 3),
        "TextDirection": ("s", "ltr"),
        "Status": ("s", "normal"),
        "IconThemePath": ("as", []),
    }


def test_group_properties_answer_for_the_ids_asked() -> None:
    methods = menu_methods(tray_menu(), [])
    assert methods["GetGroupProperties"]([3], ["label"]) == (
        [(3, {"label": ("s", "Refresh now")})],
    )


def test_the_other_menu_calls() -> None:
    methods = menu_methods(tray_menu(), [])
    assert methods["AboutToShow"](0) == (False,)
    assert methods["AboutToShowGroup"]([0, 1, 50]) == ([], [50])
    assert methods["GetProperty"](3, "label") == (("s", "Refresh now"),)
    with pytest.raises(DBusError):
        methods["GetProperty"](3, "icon-name")
    with pytest.raises(DBusError):
        methods["GetLayout"](99, -1, [])
    revision, layout = methods["GetLayout"](0, -1, [])
    assert revision == 2 and layout[0] == 0


# --- the item -----------------------------------------------------------------------------------


def test_each_change_sends_its_signals_once() -> None:
    before = ItemLook(title="a", pixmaps=[(1, 1, b"\0\0\0\0")])
    assert changed_signals(before, before) == []
    assert changed_signals(before, ItemLook(title="b", pixmaps=before.pixmaps)) == ["NewTitle"]
    assert changed_signals(before, ItemLook(title="a")) == ["NewIcon", "NewAttentionIcon"]
    both = ItemLook(title="a", pixmaps=before.pixmaps, tooltip_heading="h", tooltip_body="b")
    assert changed_signals(before, both) == ["NewToolTip"]
    status = ItemLook(title="a", pixmaps=before.pixmaps, status="NeedsAttention")
    assert changed_signals(before, status) == ["NewStatus"]


def test_the_tooltip_body_is_escaped_for_hosts_that_read_markup() -> None:
    look = ItemLook(tooltip_body="R&D <team>: key refused\nnext line")
    assert tooltip_markup(look) == "R&amp;D &lt;team&gt;: key refused\nnext line"
    # Quotes are not markup outside tags: hosts that show the text as it is keep them readable.
    assert tooltip_markup(ItemLook(tooltip_body='Bob\'s "main" project')) == (
        'Bob\'s "main" project'
    )


def test_the_item_properties_and_activate() -> None:
    activated: list[str] = []
    sni = StatusNotifierItem("deepgram-balance-tray", activate=lambda: activated.append("yes"))
    sni.look = ItemLook(
        title="Deepgram $5.00",
        status="NeedsAttention",
        pixmaps=[(1, 1, b"\xff\x00\x00\x00")],
        tooltip_heading="Deepgram $5.00",
        tooltip_body="a & b",
    )
    properties = sni.properties()
    assert properties["Id"] == ("s", "deepgram-balance-tray")
    assert properties["Title"] == ("s", "Deepgram $5.00")
    assert properties["Status"] == ("s", "NeedsAttention")
    assert properties["IconPixmap"] == ("a(iiay)", [(1, 1, b"\xff\x00\x00\x00")])
    assert properties["AttentionIconPixmap"] == properties["IconPixmap"]
    assert properties["ToolTip"] == ("(sa(iiay)ss)", ("", [], "Deepgram $5.00", "a &amp; b"))
    assert properties["ItemIsMenu"] == ("b", False)  # a left click is Activate, not the menu
    assert properties["Menu"] == ("o", "/MenuBar")
    assert properties["Category"] == ("s", "ApplicationStatus")
    assert properties["WindowId"] == ("i", 0)  # no window of its own
    methods = sni.methods()
    methods["SecondaryActivate"].handler(0, 0)
    methods["ContextMenu"].handler(0, 0)
    assert activated == []
    methods["Activate"].handler(3, 4)
    assert activated == ["yes"]


# --- pixmaps ------------------------------------------------------------------------------------


def test_pixels_are_argb_in_network_order() -> None:
    image = Image.new("RGBA", (2, 1), (10, 20, 30, 40))
    image.putpixel((1, 0), (1, 2, 3, 255))
    assert argb32(image) == bytes([40, 10, 20, 30, 255, 1, 2, 3])


def test_each_size_is_drawn_for_itself_when_the_app_can() -> None:
    drawn: list[int] = []

    def draw(size: int) -> Image.Image:
        drawn.append(size)
        return Image.new("RGBA", (size, size), (0, 255, 0, 255))

    found = pixmaps(Image.new("RGBA", (64, 64), (255, 0, 0, 255)), draw)
    assert drawn == list(SIZES)
    assert [(w, h) for w, h, _ in found] == [(s, s) for s in SIZES]
    assert all(data[:4] == b"\xff\x00\xff\x00" for _, _, data in found)  # green, not the red
    assert all(len(data) == w * h * 4 for w, h, data in found)


def test_without_a_drawing_the_image_is_resized() -> None:
    found = pixmaps(Image.new("RGB", (64, 64), (255, 0, 0)), sizes=(16, 64))
    assert [(w, h) for w, h, _ in found] == [(16, 16), (64, 64)]
    assert found[0][2][:4] == b"\xff\xff\x00\x00"
