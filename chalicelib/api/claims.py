"""(being written)"""

from chalicelib.api.routes import Routes

routes = Routes(__name__)
