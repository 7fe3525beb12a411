"""The hall dashboard 办件统计: the figures and the page that shows them."""
