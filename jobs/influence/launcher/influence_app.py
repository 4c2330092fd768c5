"""The application file that spark-submit runs (``influence.submit``): the ``influence`` command.

It sits alone in its folder because Python puts a script's folder first on ``sys.path``;
beside the package's own modules (``io``, ``config``...) it could shadow others.
"""

import sys

from influence.cli import main

if __name__ == "__main__":
    sys.exit(main())
