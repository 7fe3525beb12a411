"""Open311 GeoReport v2 at /open311/v2/ (http://wiki.open311.org/GeoReport_v2): the public
appeal categories as services, requests posted by other systems with an API key, and public
reads of requests — in XML and JSON. `keys` issues and revokes the keys, `intake` turns a
posted request into an appeal, `views` answers the endpoints, `render` writes both formats."""
