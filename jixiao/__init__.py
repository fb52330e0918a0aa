"""jixiao (绩效): draft and review project performance goal tables.

The code lives in the design card's top-level folders, mapped into this namespace:
``jixiao.corpus`` (parsing, schema, data), ``jixiao.models`` (embedding, index,
classifier), ``jixiao.service`` (HTTP API, CLI, web page), ``jixiao.eval`` (metrics).
"""

__version__ = "0.1.0"
