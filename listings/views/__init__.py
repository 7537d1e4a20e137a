"""The pages of listings, by sub-domain: browse and the lot page, lot editing and lifecycle, bids and award,
handover, matching (wanted notices, capabilities, saved searches). listings/urls.py names every one."""
