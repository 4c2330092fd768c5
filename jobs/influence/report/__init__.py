"""The HTML report: one self-contained file a marketer opens in a browser (model: what
to show; svg: the charts; render: the page)."""
