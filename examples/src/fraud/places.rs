//! The cities the synthetic card traffic happens in, and the great-circle
//! distance between two points on Earth.

/// A city where cards are charged.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct City {
    /// City name.
    pub name: &'static str,
    /// ISO country code.
    pub country: &'static str,
    /// Latitude in degrees.
    pub latitude: f64,
    /// Longitude in degrees.
    pub longitude: f64,
}

const fn city(name: &'static str, country: &'static str, latitude: f64, longitude: f64) -> City {
    City {
        name,
        country,
        latitude,
        longitude,
    }
}

/// Where cards are issued and normally used; card `n` lives in `HOME_CITIES[n % 4]`.
pub const HOME_CITIES: [City; 4] = [
    city("Amsterdam", "NL", 52.37, 4.90),
    city("Berlin", "DE", 52.52, 13.40),
    city("Paris", "FR", 48.86, 2.35),
    city("Madrid", "ES", 40.42, -3.70),
];

/// A city abroad but within a few hundred km of the home city at the same index.
pub const NEARBY_ABROAD: [City; 4] = [
    city("London", "GB", 51.51, -0.13),
    city("Prague", "CZ", 50.08, 14.44),
    city("Brussels", "BE", 50.85, 4.35),
    city("Porto", "PT", 41.15, -8.61),
];

/// Cities thousands of km away from every home city.
pub const FAR_AWAY: [City; 4] = [
    city("New York", "US", 40.71, -74.01),
    city("Tokyo", "JP", 35.68, 139.69),
    city("Sydney", "AU", -33.87, 151.21),
    city("Sao Paulo", "BR", -23.55, -46.63),
];

const EARTH_RADIUS_KM: f64 = 6_371.0;

/// Great-circle (haversine) distance in km between two points given in degrees.
pub fn distance_km(from: (f64, f64), to: (f64, f64)) -> f64 {
    let (lat1, lon1) = (from.0.to_radians(), from.1.to_radians());
    let (lat2, lon2) = (to.0.to_radians(), to.1.to_radians());
    let a = ((lat2 - lat1) / 2.0).sin().powi(2)
        + lat1.cos() * lat2.cos() * ((lon2 - lon1) / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * a.sqrt().asin()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn between(a: City, b: City) -> f64 {
        distance_km((a.latitude, a.longitude), (b.latitude, b.longitude))
    }

    #[test]
    fn distances_match_the_map() {
        let amsterdam_london = between(HOME_CITIES[0], NEARBY_ABROAD[0]);
        assert!(
            (340.0..380.0).contains(&amsterdam_london),
            "{amsterdam_london}"
        );
        let paris_tokyo = between(HOME_CITIES[2], FAR_AWAY[1]);
        assert!((9_600.0..9_800.0).contains(&paris_tokyo), "{paris_tokyo}");
        assert_eq!(between(HOME_CITIES[1], HOME_CITIES[1]), 0.0);
    }

    #[test]
    fn nearby_cities_are_near_and_far_cities_are_far() {
        for (home, nearby) in HOME_CITIES.iter().zip(NEARBY_ABROAD) {
            assert!(
                between(*home, nearby) < 500.0,
                "{} {}",
                home.name,
                nearby.name
            );
            for far in FAR_AWAY {
                assert!(between(*home, far) > 5_000.0, "{} {}", home.name, far.name);
            }
        }
    }
}
