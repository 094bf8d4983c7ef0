"""A component's settings dataclass as its execution parameters, and back.

Each component of this project declares its settings once, as a frozen
dataclass whose fields are its execution properties (same names, defaults
and checks in ``__post_init__``). From that one declaration this module
derives the ``ComponentSpec.PARAMETERS``, the execution properties a
component instance carries, and the settings its executor reads back, so
no default or name is written twice (TFX's own components keep them in
``standard_component_specs`` beside hand-written kwargs; here the dataclass
is the single place).

Field types map to execution-parameter types: ``int``, ``float`` and ``str``
as themselves, ``bool`` as ``int`` (0 or 1), tuples, lists and dicts as JSON
text; ``Optional[...]`` fields are optional parameters, absent when None.
"""

import dataclasses
import json
import typing
from typing import Any, Dict, Mapping, Type, TypeVar

SettingsT = TypeVar("SettingsT")
_SCALARS = (int, float, str)
_JSON_ORIGINS = (tuple, list, dict)


def _field_types(settings_class: type) -> Dict[str, Any]:
    hints = typing.get_type_hints(settings_class)
    return {field.name: hints[field.name] for field in dataclasses.fields(settings_class)}


def _unwrap_optional(annotation: Any) -> typing.Tuple[Any, bool]:
    """``Optional[X]`` -> (X, True); any other type -> (it, False)."""
    if typing.get_origin(annotation) is typing.Union:
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(members) == 1 and len(typing.get_args(annotation)) == 2:
            return members[0], True
    return annotation, False


def _stored_type(annotation: Any) -> type:
    """The execution-parameter type a field's values are stored as."""
    if annotation is bool:
        return int
    if annotation in _SCALARS:
        return annotation
    if typing.get_origin(annotation) in _JSON_ORIGINS or annotation in _JSON_ORIGINS:
        return str
    raise TypeError(f"settings field type {annotation!r} has no execution-parameter form")


def execution_parameters(settings_class: type) -> Dict[str, Any]:
    """The ``ComponentSpec.PARAMETERS`` of a settings dataclass.

    Args:
      settings_class: A dataclass of the supported field types.

    Returns:
      One ``ExecutionParameter`` per field, optional where the field is.
    """
    # Imported here: TFX loads TensorFlow, which the settings themselves (and
    # the command line checking them) do not need.
    from tfx.types.component_spec import ExecutionParameter  # pylint: disable=import-outside-toplevel

    parameters = {}
    for name, annotation in _field_types(settings_class).items():
        inner, optional = _unwrap_optional(annotation)
        parameters[name] = ExecutionParameter(type=_stored_type(inner), optional=optional)
    return parameters


def to_exec_properties(settings: Any) -> Dict[str, Any]:
    """A settings instance as execution properties.

    Args:
      settings: An instance of a settings dataclass.

    Returns:
      Field name to stored value (None for an unset optional field).
    """
    properties = {}
    for name, annotation in _field_types(type(settings)).items():
        inner, _ = _unwrap_optional(annotation)
        value = getattr(settings, name)
        properties[name] = None if value is None else _encode(value, inner)
    return properties


def _encode(value: Any, annotation: Any) -> Any:
    stored = _stored_type(annotation)
    if stored is str and annotation is not str:
        return json.dumps(list(value) if isinstance(value, tuple) else value, sort_keys=True)
    return stored(value)


def from_exec_properties(
    settings_class: Type[SettingsT], properties: Mapping[str, Any]
) -> SettingsT:
    """Reads and checks settings from execution properties.

    A missing property, or None, takes the field's default; so does an empty
    string for a non-string field (what an unset runtime parameter may
    arrive as on Kubeflow).

    Args:
      settings_class: The settings dataclass.
      properties: A component's execution properties.

    Returns:
      The settings (its ``__post_init__`` checks them).

    Raises:
      ValueError: If a stored value cannot be read as its field's type, or
        the settings' own checks refuse it.
    """
    values = {}
    for name, annotation in _field_types(settings_class).items():
        value = properties.get(name)
        inner, _ = _unwrap_optional(annotation)
        if value is None or (value == "" and inner is not str):
            continue
        values[name] = _decode(name, value, inner)
    return settings_class(**values)


def _decode(name: str, value: Any, annotation: Any) -> Any:
    if annotation is bool:
        return bool(int(value))
    if annotation in _SCALARS:
        return annotation(value)
    try:
        decoded = json.loads(value)
    except (TypeError, json.JSONDecodeError) as error:
        raise ValueError(f"setting {name!r} is not JSON ({error}): {value!r}") from None
    origin = typing.get_origin(annotation) or annotation
    return tuple(decoded) if origin is tuple else decoded
