"""Products and premium rules (险种、费率、主附险): rate tables, rider rules, the premium
trial calculation (保费试算), importing rate tables, and applying by phone."""
