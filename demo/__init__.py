"""A mock bank website that embeds XiaoBao's widget (`make demo-site`)."""
