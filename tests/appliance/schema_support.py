"""Every table the domain defines: each package keeps its tables in its models.py."""
import importlib
import pkgutil

import appliance
from appliance import db as dbmod


def models_modules():
    names = ["appliance.models"] + [f"{info.name}.models" for info in
                                    pkgutil.walk_packages(appliance.__path__, "appliance.")
                                    if info.ispkg and info.name != "appliance.migrations"]
    return [importlib.import_module(name) for name in names]


def every_model():
    return [value for module in models_modules() for value in vars(module).values()
            if isinstance(value, type) and issubclass(value, dbmod.BaseModel)
            and value is not dbmod.BaseModel and value.__module__ == module.__name__]
