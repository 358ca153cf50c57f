/**
 * The retail-chain program's reward catalogue, seeded on first start. Points prices follow the
 * program's value (100 points = 1 CNY) with a margin; items with a cash price can be paid with
 * points + cash (points at most 30% of the cash price).
 */
export interface CatalogueSeedItem {
  itemId: string;
  name: string;
  category: string;
  pointsPrice: number;
  cashPriceMinor: number | null;
  unitCostMinor: number;
  stock: number | null;
}

export const retailChainCatalogue: CatalogueSeedItem[] = [
  {
    itemId: 'voucher-10',
    name: '10 CNY store voucher',
    category: 'vouchers',
    pointsPrice: 1_000,
    cashPriceMinor: null,
    unitCostMinor: 1_000,
    stock: null,
  },
  {
    itemId: 'voucher-50',
    name: '50 CNY store voucher',
    category: 'vouchers',
    pointsPrice: 5_000,
    cashPriceMinor: null,
    unitCostMinor: 5_000,
    stock: null,
  },
  {
    itemId: 'rice-5kg',
    name: 'Northeast rice, 5 kg',
    category: 'groceries',
    pointsPrice: 4_500,
    cashPriceMinor: 4_990,
    unitCostMinor: 3_200,
    stock: 500,
  },
  {
    itemId: 'cooking-oil-5l',
    name: 'Peanut oil, 5 L',
    category: 'groceries',
    pointsPrice: 8_000,
    cashPriceMinor: 8_990,
    unitCostMinor: 6_100,
    stock: 300,
  },
  {
    itemId: 'kettle',
    name: 'Electric kettle 1.7 L',
    category: 'home',
    pointsPrice: 12_900,
    cashPriceMinor: 15_900,
    unitCostMinor: 9_800,
    stock: 120,
  },
  {
    itemId: 'towel-set',
    name: 'Cotton towel set',
    category: 'home',
    pointsPrice: 5_900,
    cashPriceMinor: 6_900,
    unitCostMinor: 3_900,
    stock: 200,
  },
  {
    itemId: 'earbuds',
    name: 'Wireless earbuds',
    category: 'electronics',
    pointsPrice: 19_900,
    cashPriceMinor: 24_900,
    unitCostMinor: 15_500,
    stock: 80,
  },
  {
    itemId: 'power-bank',
    name: 'Power bank 10,000 mAh',
    category: 'electronics',
    pointsPrice: 9_900,
    cashPriceMinor: 11_900,
    unitCostMinor: 7_200,
    stock: 150,
  },
  {
    itemId: 'lipstick',
    name: 'Lipstick, classic red',
    category: 'beauty',
    pointsPrice: 15_900,
    cashPriceMinor: 19_900,
    unitCostMinor: 9_000,
    stock: 100,
  },
  {
    itemId: 'toy-blocks',
    name: 'Building blocks, 500 pieces',
    category: 'toys',
    pointsPrice: 14_900,
    cashPriceMinor: 17_900,
    unitCostMinor: 10_800,
    stock: 90,
  },
  {
    itemId: 'coffee-cup',
    name: 'Coffee of the day at the store cafe',
    category: 'food-and-drink',
    pointsPrice: 1_500,
    cashPriceMinor: 1_800,
    unitCostMinor: 600,
    stock: null,
  },
  {
    itemId: 'delivery-free',
    name: 'Free home delivery for one order',
    category: 'services',
    pointsPrice: 800,
    cashPriceMinor: null,
    unitCostMinor: 500,
    stock: null,
  },
  {
    itemId: 'car-wash',
    name: 'Car wash at partner station',
    category: 'services',
    pointsPrice: 2_500,
    cashPriceMinor: 3_000,
    unitCostMinor: 1_800,
    stock: null,
  },
  {
    itemId: 'movie-ticket',
    name: 'Cinema ticket',
    category: 'entertainment',
    pointsPrice: 3_900,
    cashPriceMinor: 4_500,
    unitCostMinor: 3_000,
    stock: 400,
  },
  {
    itemId: 'donation-school-meals',
    name: 'Donate to school meals (100 points = 1 CNY)',
    category: 'charity',
    pointsPrice: 100,
    cashPriceMinor: null,
    unitCostMinor: 100,
    stock: null,
  },
];
