"""Every table the domain defines: each package keeps its tables in its models.py."""
import importlib
import importlib.util
import pkgutil

import appliance
from appliance import db as dbmod


def models_modules():
    """appliance.models and every package's models.py (a package without tables has none)."""
    names = ["appliance.models"] + [f"{info.name}.models" for info in
                                    pkgutil.walk_packages(appliance.__path__, "appliance.")
                                    if info.ispkg and info.name != "appliance.migrations"]
    return [importlib.import_module(name) for name in names if importlib.util.find_spec(name) is not None]


def every_model():
    return [value for module in models_modules() for value in vars(module).values()
            if isinstance(value, type) and issubclass(value, dbmod.BaseModel)
            and value is not dbmod.BaseModel and value.__module__ == module.__name__]
