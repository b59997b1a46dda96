"""Opportune: an open-source sales CRM built around the lead/opportunity distinction."""
