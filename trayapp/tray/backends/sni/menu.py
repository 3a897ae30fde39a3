"""A pystray Menu as a com.canonical.dbusmenu model: ids, properties, layout revisions. Pure.

Hosts (KDE, GNOME's extension, Waybar through libdbusmenu) cache the layout and ask again only when
told: a new menu with the same shape (same kinds of items in the same places, which is what each
poll gives: new amounts, same lines) keeps its ids and is announced as changed properties, so an
open menu updates in place. Any other change gets new ids and a new revision. The ids of the menu
before are kept for one generation: a click on a menu the host drew just before the change still
finds its item.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

Variant = tuple[str, Any]
"""A D-Bus variant as jeepney writes it: (signature, value)."""
Properties = dict[str, Variant]

ROOT_ID = 0


@dataclass(frozen=True)
class MenuNode:
    id: int
    properties: Properties
    children: tuple[MenuNode, ...] = ()
    item: Any = None
    """The pystray MenuItem this node shows (None for the root)."""


@dataclass(frozen=True)
class PropertiesChanged:
    """ItemsPropertiesUpdated's first argument: the new values (its second, the properties
    reset to their defaults, is always empty: an item's set of properties follows its shape)."""

    updated: list[tuple[int, Properties]]


@dataclass(frozen=True)
class LayoutChanged:
    """LayoutUpdated's arguments: the new revision, and the item under which things changed."""

    revision: int
    parent: int = ROOT_ID


Change = PropertiesChanged | LayoutChanged | None


def label(text: str) -> str:
    """dbusmenu reads `_` as the mnemonic marker: a literal one is written twice."""
    return text.replace("_", "__")


def item_properties(item: Any, *, separator: object) -> Properties:
    """A pystray MenuItem's dbusmenu properties (enabled and visible always said: some hosts
    do not apply the spec's defaults to an item whose property went missing in an update)."""
    if item is separator:
        return {"type": ("s", "separator"), "visible": ("b", True)}
    properties: Properties = {
        "label": ("s", label(str(item.text))),
        "enabled": ("b", bool(item.enabled)),
        "visible": ("b", True),
    }
    checked = item.checked
    if checked is not None:
        properties["toggle-type"] = ("s", "radio" if item.radio else "checkmark")
        properties["toggle-state"] = ("i", 1 if checked else 0)
    if item.submenu is not None:
        properties["children-display"] = ("s", "submenu")
    return properties


def _shape(properties: Properties, children: Sequence[Any]) -> tuple[object, ...]:
    kind = properties.get("type", ("s", "standard"))[1]
    toggle = properties.get("toggle-type", ("s", ""))[1]
    return (kind, toggle, tuple(children))


@dataclass
class DBusMenu:
    """The exported menu: its current tree, revision, and the ids of the tree before."""

    separator: object
    """pystray's Menu.SEPARATOR, which marks separators."""
    revision: int = 1
    root: MenuNode = field(default_factory=lambda: MenuNode(ROOT_ID, _root_properties()))
    _shape: tuple[object, ...] = ()
    _next_id: int = 1
    _items: dict[int, MenuNode] = field(default_factory=dict)
    _previous_items: dict[int, MenuNode] = field(default_factory=dict)

    def set_menu(self, items: Iterable[Any]) -> Change:
        """Show `items` (a pystray Menu's `items`) from now on; say what hosts must be told."""
        described = [self._describe(item) for item in items]
        shape = tuple(s for _, s in described)
        if shape == self._shape and self._items:
            return self._relabel(described)
        self._shape = shape
        nodes = tuple(self._numbered(item, properties) for (item, properties), _ in described)
        self._previous_items, self._items = self._items, {}
        self.root = MenuNode(ROOT_ID, _root_properties(), nodes)
        self._index(self.root)
        self.revision += 1
        return LayoutChanged(self.revision)

    def _describe(self, item: Any) -> tuple[tuple[Any, Properties], tuple[object, ...]]:
        properties = item_properties(item, separator=self.separator)
        children = [self._describe(child)[1] for child in _children(item)]
        return (item, properties), _shape(properties, children)

    def _numbered(self, item: Any, properties: Properties) -> MenuNode:
        node_id, self._next_id = self._next_id, self._next_id + 1
        children = tuple(
            self._numbered(child, item_properties(child, separator=self.separator))
            for child in _children(item)
        )
        return MenuNode(node_id, properties, children, item)

    def _index(self, node: MenuNode) -> None:
        for child in node.children:
            self._items[child.id] = child
            self._index(child)

    def _relabel(
        self, described: list[tuple[tuple[Any, Properties], tuple[object, ...]]]
    ) -> Change:
        """Same shape: the same ids get the new items; the properties that differ are sent."""
        updated: list[tuple[int, Properties]] = []

        def walk(old: MenuNode, item: Any, properties: Properties) -> MenuNode:
            # Which properties an item has follows from its shape: only values change here.
            changed = {k: v for k, v in properties.items() if old.properties.get(k) != v}
            if changed:
                updated.append((old.id, changed))
            children = tuple(
                walk(o, child, item_properties(child, separator=self.separator))
                for o, child in zip(old.children, _children(item), strict=True)
            )
            return MenuNode(old.id, properties, children, item)

        nodes = tuple(
            walk(old, item, properties)
            for old, ((item, properties), _) in zip(self.root.children, described, strict=True)
        )
        self._previous_items = {}
        self.root = MenuNode(ROOT_ID, self.root.properties, nodes)
        self._index(self.root)  # the same ids: each now maps to its new item
        return PropertiesChanged(updated) if updated else None

    # --- what hosts ask -------------------------------------------------------------------------

    def node(self, node_id: int) -> MenuNode | None:
        if node_id == ROOT_ID:
            return self.root
        return self._items.get(node_id)

    def item(self, node_id: int) -> Any:
        """The pystray item behind `node_id`, in this menu or the one before; None if neither."""
        node = self._items.get(node_id) or self._previous_items.get(node_id)
        return None if node is None else node.item

    def layout(self, parent_id: int, depth: int, names: Sequence[str]) -> tuple[int, Any] | None:
        """GetLayout's reply: the revision and `(ia{sv}av)` under `parent_id`, `depth` levels
        deep (-1: all); None when there is no such item."""
        node = self.node(parent_id)
        if node is None:
            return None
        return self.revision, _layout(node, depth, names)

    def group_properties(self, ids: Sequence[int], names: Sequence[str]) -> list[Any]:
        """GetGroupProperties' reply: `a(ia{sv})`, every item when `ids` is empty."""
        nodes = [self.node(i) for i in ids] if ids else [self.root, *self._items.values()]
        return [(n.id, _only(n.properties, names)) for n in nodes if n is not None]


def _children(item: Any) -> list[Any]:
    """A pystray item's submenu items (separators, like other items, have no submenu)."""
    return [] if item.submenu is None else list(item.submenu.items)


def _root_properties() -> Properties:
    return {"children-display": ("s", "submenu")}


def _only(properties: Properties, names: Sequence[str]) -> Properties:
    return {k: v for k, v in properties.items() if not names or k in names}


def _layout(node: MenuNode, depth: int, names: Sequence[str]) -> tuple[int, Properties, list[Any]]:
    children: list[Any] = []
    if depth != 0:
        children = [("(ia{sv}av)", _layout(c, depth - 1, names)) for c in node.children]
    return node.id, _only(node.properties, names), children
