"""koosloome-site: builds the Social Innovation Lab's programme pages from YAML content."""
