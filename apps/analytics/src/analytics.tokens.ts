/** The pg Pool under analytics' TypeORM data source (search_path = analytics' schema). */
export const ANALYTICS_POOL = Symbol('AnalyticsPool');
