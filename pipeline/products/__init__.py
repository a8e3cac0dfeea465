"""Products: catalogs, pictures, prices as shoppers read them, tagged links and post captions,
the product card.
"""
