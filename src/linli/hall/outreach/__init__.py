"""Proactive outreach 主动服务: eligibility, the scan, outreach tasks and their pages."""
