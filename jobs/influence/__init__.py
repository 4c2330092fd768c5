"""influence: find the people who move a market.

Layers: ``transforms`` (pure DataFrame -> DataFrame), ``graph`` (metric engines),
``io`` (export readers, Delta reads and writes), ``pipelines`` (connect the two),
``cli`` (the ``influence`` command). ``spark`` builds the only SparkSession and
``config`` loads the only configuration object.
"""

__version__ = "0.1.0"
